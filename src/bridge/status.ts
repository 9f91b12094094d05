import type { StorageKind } from '../storage/guarded'

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
}

/** The one status object: getStatus(), the 'status' event and sessionStorage ws_status_{room}. */
export interface Status {
  /** Version of this shape in storage. */
  v: 1
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
  counters: Counters
}

export const statusKey = (room: string) => 'ws_status_' + room

export function initialStatus(room: string, storage: StorageKind, storageProblem: string | null): Status {
  return {
    v: 1,
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
    counters: { received: 0, stored: 0, duplicates: 0, invalid: 0, dropped: 0 },
  }
}

const COUNTERS: Array<keyof Counters> = ['received', 'stored', 'duplicates', 'invalid', 'dropped']

export function isStatus(value: unknown): value is Status {
  const s = value as Status | null
  return !!s && s.v === 1 && typeof s.state === "string" && typeof s.counters === "object" && !!s.counters &&
    // Totals carry on from storage: a foreign value there must not turn them into NaN.
    COUNTERS.every((name) => Number.isFinite(s.counters[name]) && s.counters[name] >= 0)
}

/** A copy that later changes cannot reach. */
export const snapshot = (status: Status): Status => ({ ...status, counters: { ...status.counters } })
