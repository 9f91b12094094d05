// The frame's side of exactly-once delivery: every new message of a room gets
// the next sequence number of this tab and waits in sessionStorage until Python
// acknowledges it. sessionStorage outlives reloads and frame remounts (the frame
// is same-origin with the app, so it shares the tab's storage), a Streamlit
// session does not: that is why the numbering lives here.
import type { Message } from '../index'
import type { GuardedStorage } from '../storage/guarded'
import { idKey } from '../storage/message-log'
import type { NumberedEvent } from './protocol'

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
  /** Python handed the app everything up to `seq` of tab `tab`; returns whether anything changed. */
  acknowledge(tab: string | null, seq: number | null): boolean
  /** Events not acknowledged yet, oldest first. */
  pending(): NumberedEvent[]
  /** The whole record, read once (a copy). */
  snapshot(): LedgerRecord
}

export const ledgerKey = (room: string) => 'ws_component_' + room

/** How many dedup keys of numbered messages are remembered. */
export const RECENT_IDS = 1000

const isNumbered = (value: unknown): value is NumberedEvent => {
  const entry = value as NumberedEvent | null
  return !!entry && Number.isInteger(entry.seq) && typeof entry.event === 'object' && entry.event !== null
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

/**
 * Every change reads the record again and writes it at once: two frames of the
 * same tab (an old one going away while its remount loads) share one event
 * loop, so each read-modify-write is atomic and they number each message once.
 */
export function createLedger(storage: GuardedStorage, room: string, newId: () => string = randomId): Ledger {
  const key = ledgerKey(room)
  // Kept in memory too, for a storage that is full: then this frame carries on alone.
  let memory: LedgerRecord = { v: 1, tab: newId(), last: 0, ack: 0, pending: [], recent: [] }
  const load = (): LedgerRecord => {
    const stored = storage.read(key, isLedgerRecord)
    if (stored) memory = stored
    return memory
  }
  const save = (record: LedgerRecord) => {
    memory = record
    storage.write(key, record)
  }
  save(load())

  return {
    get tab() {
      return load().tab
    },
    get ack() {
      return load().ack
    },
    get last() {
      return load().last
    },
    add(message) {
      const record = load()
      const id = idKey(message.id)
      if (id !== undefined && record.recent.indexOf(id) >= 0) return false
      const seq = record.last + 1
      const recent = id === undefined ? record.recent : record.recent.concat(id).slice(-RECENT_IDS)
      save({ ...record, last: seq, pending: record.pending.concat({ seq, event: message }), recent })
      return true
    },
    acknowledge(tab, seq) {
      const record = load()
      if (tab !== record.tab || seq === null || seq <= record.ack) return false
      const ack = Math.min(seq, record.last)
      save({ ...record, ack, pending: record.pending.filter((entry) => entry.seq > ack) })
      return true
    },
    pending: () => load().pending.slice(),
    snapshot: () => {
      const record = load()
      return { ...record, pending: record.pending.slice(), recent: record.recent.slice() }
    },
  }
}
