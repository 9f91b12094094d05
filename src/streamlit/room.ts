// One room's bridge and ledger, wired together: what both component entries
// (the iframe's component.ts and the frameless v2.ts) run. Each new message is
// numbered in the ledger and marks the coalescer; a status change repaints and
// marks it only when it matters to Python (statusSignature).
import { type Bridge, connect, DEFAULTS, memoryStorage, type StorageLike } from '../index'
import { createCoalescer, type Coalescer } from './coalesce'
import { describeStatus, isCountingDown, type Label } from './indicator'
import { createLedger, type Ledger } from './ledger'
import type { ComponentArgs, ComponentValue } from './protocol'
import { statusSignature } from './signature'
import { withToken } from './token'

export interface Room {
  readonly bridge: Bridge
  readonly ledger: Ledger
  /** What the room was started with; args with another identity need another room. */
  readonly identity: string
  readonly coalescer: Coalescer
  /** The value to hand Python now: flushed to storage first, since Python may act on its numbers. */
  value(): ComponentValue
  /** Closes the socket and writes the ledger; no send follows. */
  close(): void
}

export interface RoomHooks {
  /** Gathered changes are due: send `room.value()` to Python. */
  send(room: Room): void
  /** The status changed: repaint the indicator. */
  paint(room: Room): void
  /** The window that gets _wsDebug. */
  debugWindow: Window
}

export const identityOf = (a: ComponentArgs): string => JSON.stringify([a.url, a.room, a.fallbackUrl, a.tokenUrl, a.player, a.maxMessages])

export function sessionStorageOrMemory(): StorageLike {
  try {
    // Reading window.sessionStorage throws where storage is disabled.
    return window.sessionStorage
  } catch {
    return memoryStorage()
  }
}

/** Starts the room's bridge; throws what connect() throws (a bad URL), with nothing left open. */
export function openRoom(a: ComponentArgs, hooks: RoomHooks): Room {
  const bridge = connect({
    // With a token URL, each attempt and each poll fetches a fresh token first; a failed fetch is retried like a failed attempt.
    url: withToken(a.url, a.tokenUrl, null),
    room: a.room,
    fallbackUrl: a.fallbackUrl === null ? null : withToken(a.fallbackUrl, a.tokenUrl, a.player),
    maxMessages: a.maxMessages,
    debugWindow: hooks.debugWindow,
  })
  const ledger = createLedger(sessionStorageOrMemory(), a.room)
  let lastSent: string | null = null
  const room: Room = {
    bridge,
    ledger,
    identity: identityOf(a),
    coalescer: createCoalescer(() => hooks.send(room), a.throttleMs),
    value() {
      ledger.flush()
      const status = bridge.getStatus()
      const record = ledger.snapshot()
      lastSent = statusSignature(status)
      return { v: 1, tab: record.tab, baseSeq: record.ack, lastSeq: record.last, events: record.pending, messages: bridge.getMessages(), status }
    },
    close() {
      room.coalescer.dispose()
      bridge.close()
      ledger.dispose()
    },
  }
  bridge.on('message', (message) => {
    if (ledger.add(message)) room.coalescer.mark()
  })
  bridge.on('reset', (reset) => {
    ledger.reset(reset)
    room.coalescer.mark()
  })
  bridge.on('status', (status) => {
    hooks.paint(room)
    if (statusSignature(status) !== lastSent) room.coalescer.mark()
  })
  // The first send tells Python the status and hands over whatever an earlier page or frame left unacknowledged.
  room.coalescer.mark()
  return room
}

/** The indicator's line: a start-up problem, else the room's status. */
export function labelOf(problem: string | null, room: Room | null, args: ComponentArgs | null): Label {
  if (problem) return { tone: 'down', text: '🔴 Connection error (' + problem + ')' }
  return describeStatus(room ? room.bridge.getStatus() : null, Date.now(), args && args.fallbackUrl ? DEFAULTS.fallbackInterval : null)
}

/** Repaints each second while a retry countdown shows, in the browser: Python is not bothered. */
export function createTicker(paint: () => void): (room: Room | null, visible: boolean) => void {
  let ticking: ReturnType<typeof setInterval> | undefined
  return (room, visible) => {
    const counting = visible && isCountingDown(room ? room.bridge.getStatus() : null)
    if (counting && ticking === undefined) ticking = setInterval(paint, 1000)
    if (!counting && ticking !== undefined) {
      clearInterval(ticking)
      ticking = undefined
    }
  }
}
