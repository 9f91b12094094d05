// The frame's side of exactly-once delivery: every new message of a room gets
// the next sequence number of this tab and waits in sessionStorage until Python
// acknowledges it. sessionStorage outlives reloads and frame remounts (the frame
// is same-origin with the app, so it shares the tab's storage), a Streamlit
// session does not: that is why the numbering lives here.
import type { Message } from '../index'
import { isReset, type Reset } from '../bridge/reset'
import { openStorage, type StorageChoice } from '../storage/guarded'
import { ledgerKey } from '../storage/keys'
import { idKey } from '../storage/message-log'
import { warnOnce } from '../warn'
import type { NumberedEvent } from './batch'

export interface LedgerRecord {
  v: 1
  /** Random id of this tab's numbering for the room. */
  tab: string
  /** The last seq given out. */
  last: number
  /** Acknowledged up to here: those events are gone from `pending`. */
  ack: number
  pending: NumberedEvent[]
  /** Dedup keys of recently numbered messages, so a message seen twice (two frames, a replay after a crash) gets one number. */
  recent: string[]
}

export interface Ledger {
  readonly tab: string
  /** Acknowledged up to here. */
  readonly ack: number
  readonly last: number
  /** Numbers a new message and keeps it until acknowledged; false when it was numbered already. */
  add(message: Message): boolean
  /** Numbers a reset, in line with the messages, and forgets the ids seen before it (they may come again). */
  reset(reset: Reset): void
  /** Python handed the app everything up to `seq` of tab `tab`; returns whether anything changed. */
  acknowledge(tab: string | null, seq: number | null): boolean
  /** Events not acknowledged yet, oldest first. */
  pending(): NumberedEvent[]
  /** The whole record (a copy). */
  snapshot(): LedgerRecord
  /** Writes to storage now. Call it before Python may see a number: numbers seen must survive a reload. */
  flush(): void
}

/** How many dedup keys of numbered messages are remembered. */
export const RECENT_IDS = 1000

const isNumbered = (value: unknown): value is NumberedEvent => {
  const entry = value as { seq?: unknown; event?: unknown; reset?: unknown } | null
  return !!entry && Number.isInteger(entry.seq) && ((typeof entry.event === 'object' && entry.event !== null) || isReset(entry.reset))
}

export const isLedgerRecord = (value: unknown): value is LedgerRecord => {
  const record = value as LedgerRecord | null
  return (
    !!record && record.v === 1 && typeof record.tab === 'string' && record.tab.length > 0 &&
    Number.isInteger(record.last) && Number.isInteger(record.ack) && record.ack <= record.last &&
    Array.isArray(record.pending) && record.pending.every(isNumbered) &&
    Array.isArray(record.recent) && record.recent.every((key) => typeof key === 'string')
  )
}

export function randomId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export interface LedgerOptions {
  newId?: () => string
}

/**
 * The record lives in memory and is written by flush(), which the delivery
 * calls on its one schedule: before every batch, on each tick of the batch
 * timer, and when the page goes. Before each change the stored text is
 * compared with the last one written: if another frame of the tab (an old one
 * going away while its remount loads) wrote meanwhile, its record is adopted
 * and this frame's unwritten messages are numbered again on top of it, each
 * once. A storage that throws is swapped for memory by the one storage guard.
 */
export function createLedger(choice: StorageChoice, room: string, options: LedgerOptions = {}): Ledger {
  const key = ledgerKey(room)
  const newId = options.newId || randomId
  const storage = openStorage(choice)

  let record: LedgerRecord = { v: 1, tab: newId(), last: 0, ack: 0, pending: [], recent: [] }
  let written: string | null = null
  // What this frame numbered since its last write, re-numbered on top of another frame's record if one wrote meanwhile.
  let unsaved: Array<{ message: Message } | { reset: Reset }> = []
  let dirty = false

  function parse(text: string): LedgerRecord | null {
    try {
      const value: unknown = JSON.parse(text)
      if (isLedgerRecord(value)) return value
    } catch {
      // corrupt
    }
    warnOnce('reset "' + key + '": it held data this library did not write')
    return null
  }

  /** The record, after adopting what another frame wrote since our last write. */
  function current(): LedgerRecord {
    const text = storage.readText(key)
    if (text === null || text === written) return record
    const theirs = parse(text)
    written = text
    if (!theirs) {
      dirty = true
      return record
    }
    const mine = unsaved
    record = theirs
    unsaved = []
    for (const item of mine) {
      if ('reset' in item) numberReset(item.reset)
      else number(item.message)
    }
    return record
  }

  function schedule() {
    dirty = true
  }

  function flush() {
    current()
    if (!dirty) return
    const text = JSON.stringify(record)
    // A full storage keeps the record in memory: it is small, and the next flush tries again.
    if (!storage.writeText(key, text)) return
    written = text
    unsaved = []
    dirty = false
  }

  function number(message: Message): boolean {
    const id = idKey(message.id)
    if (id !== undefined && record.recent.indexOf(id) >= 0) return false
    record.last++
    record.pending.push({ seq: record.last, event: message })
    if (id !== undefined) {
      record.recent.push(id)
      if (record.recent.length > RECENT_IDS) record.recent.splice(0, record.recent.length - RECENT_IDS)
    }
    unsaved.push({ message })
    schedule()
    return true
  }

  function numberReset(reset: Reset) {
    record.last++
    record.pending.push({ seq: record.last, reset })
    record.recent = []
    unsaved.push({ reset })
    schedule()
  }

  // Adopt the stored record (a reload) or write ours at once (a new tab), so another frame of the tab shares its id.
  current()
  if (written === null) {
    dirty = true
    flush()
  }

  return {
    get tab() {
      return current().tab
    },
    get ack() {
      return current().ack
    },
    get last() {
      return current().last
    },
    add(message) {
      current()
      return number(message)
    },
    reset(reset) {
      current()
      numberReset(reset)
    },
    acknowledge(tab, seq) {
      const now = current()
      if (tab !== now.tab || seq === null || seq <= now.ack) return false
      now.ack = Math.min(seq, now.last)
      now.pending = now.pending.filter((entry) => entry.seq > now.ack)
      schedule()
      return true
    },
    pending: () => current().pending.slice(),
    snapshot() {
      const now = current()
      return { ...now, pending: now.pending.slice(), recent: now.recent.slice() }
    },
    flush,
  }
}
