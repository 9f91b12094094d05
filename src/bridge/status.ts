import type { StorageKind } from '../storage/guarded'
import { isReset, type Reset } from './reset'

/** connecting → connected → disconnected/error → connecting …; closed after close(). */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error' | 'closed'

export interface Counters {
  /** Frames and polled messages received (pongs excluded). */
  received: number
  /** Messages kept and delivered to listeners. */
  stored: number
  /** Messages whose id was already seen: neither kept nor delivered. */
  duplicates: number
  /** Frames that were not a JSON object (bad JSON, arrays, binary, too large). */
  invalid: number
  /** Outgoing messages refused by a full queue, and kept messages a full storage forced out. */
  dropped: number
  /** Times the server said it could not replay from our last id (see lastReset). */
  resets: number
}

/** The one status object: getStatus(), the 'status' event and sessionStorage ws_status_{room}. */
export interface Status {
  /** Version of this shape in storage (2 added counters.resets and lastReset; a stored 1 is read too). */
  v: 2
  room: string
  state: ConnectionState
  /** Last URL dialled, query values other than the resume id redacted. */
  url: string | null
  transport: 'websocket' | 'polling'
  /** Failed attempts since the last stable connection. */
  attempts: number
  /** When the next attempt starts (ms since epoch) while waiting out the backoff. */
  retryAt: number | null
  connectedAt: number | null
  lastMessageAt: number | null
  lastError: string | null
  lastCloseCode: number | null
  /** Where messages are kept; 'memory' after a storage failure too, then storageProblem says why. */
  storage: StorageKind
  storageProblem: string | null
  /** The last reset: the history between its `since` and `resume` is gone; null before any. */
  lastReset: Reset | null
  counters: Counters
}

export function initialStatus(room: string, storage: StorageKind, storageProblem: string | null): Status {
  return {
    v: 2,
    room,
    state: 'connecting',
    url: null,
    transport: 'websocket',
    attempts: 0,
    retryAt: null,
    connectedAt: null,
    lastMessageAt: null,
    lastError: null,
    lastCloseCode: null,
    storage,
    storageProblem,
    lastReset: null,
    counters: { received: 0, stored: 0, duplicates: 0, invalid: 0, dropped: 0, resets: 0 },
  }
}

const COUNTERS: Array<keyof Counters> = ['received', 'stored', 'duplicates', 'invalid', 'dropped', 'resets']

/** A stored status of version 1 or 2; version 1 had no resets (read as 0) and no lastReset. */
export function isStatus(value: unknown): value is Status {
  const s = value as (Omit<Status, 'v'> & { v: 1 | 2 }) | null
  if (!s || (s.v !== 1 && s.v !== 2) || typeof s.state !== 'string' || typeof s.counters !== 'object' || !s.counters) return false
  // Version 1 is migrated where it is read: it counted no resets.
  if (s.v === 1) s.counters.resets = 0
  // Totals carry on from storage: a foreign value there must not turn them into NaN.
  return COUNTERS.every((name) => Number.isFinite(s.counters[name]) && s.counters[name] >= 0) &&
    (s.lastReset == null || isReset(s.lastReset))
}

// What changes on every attempt or message without telling a listener anything to act on:
// the first attempt only fills in the URL of a status that already says 'connecting'.
const QUIET: Array<keyof Status> = ['url', 'lastMessageAt', 'counters']

/** Whether `next` differs from `old` in a field a status listener acts on. */
export const isNews = (next: Status, old: Status): boolean =>
  (Object.keys(next) as Array<keyof Status>).some((key) => QUIET.indexOf(key) < 0 && next[key] !== old[key])

/** A copy that later changes cannot reach. */
export const snapshot = (status: Status): Status => ({ ...status, counters: { ...status.counters } })
