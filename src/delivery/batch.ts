// What every host component shares with its Python side: the options Python
// passes (one spelling on every host) and the batch the browser hands Python.
import type { Message, Status } from '../index'
import type { Reset } from '../bridge/reset'

/** The bridge's options as Python passes them, checked (readOptions). */
export interface HostOptions {
  /** Full ws:// URL, placeholders already filled. */
  url: string
  room: string
  fallbackUrl: string | null
  /** GET before every (re)connect and fallback poll, answering {"token": "…"}; null: no token. */
  tokenUrl: string | null
  /** The client the fallback poll names beside its token. */
  player: string | null
  maxMessages: number
  /** Shortest time between two batches, in ms. */
  throttleMs: number
  showStatus: boolean
}

/**
 * One delivered message, or a reset (the server could not replay: Python tells
 * the app to reload its state), numbered in the order this tab received them.
 */
export type NumberedEvent = { seq: number; event: Message } | { seq: number; reset: Reset }

/** What Python gets: everything not yet acknowledged, so a lost batch loses nothing. */
export interface Batch {
  v: 1
  /** Random id of this browser tab's ledger for the room (sessionStorage; survives reloads). */
  tab: string
  /** Events up to this seq were acknowledged and are not in `events`. */
  baseSeq: number
  /** The newest seq given out. */
  lastSeq: number
  events: NumberedEvent[]
  /** The bridge's kept history, oldest first. */
  messages: Message[]
  status: Status
}

const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback)
const count = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback
const optional = (value: unknown): string | null => (typeof value === 'string' && value ? value : null)

/** Python's options (snake_case, as every host's wrapper sends them): anything missing or mistyped takes its default. */
export function readOptions(raw: unknown): HostOptions {
  const args = (typeof raw === 'object' && raw !== null ? raw : {}) as { [name: string]: unknown }
  return {
    url: text(args.url, ''),
    room: text(args.room, ''),
    fallbackUrl: optional(args.fallback_url),
    tokenUrl: optional(args.token_url),
    player: typeof args.player === 'string' ? args.player : null,
    maxMessages: Math.max(1, Math.floor(count(args.max_messages, 100))),
    throttleMs: count(args.throttle_ms, 100),
    showStatus: args.show_status !== false,
  }
}

/** Options naming the same room and connection share one bridge; others need their own. */
export const identityOf = (a: HostOptions): string => JSON.stringify([a.url, a.room, a.fallbackUrl, a.tokenUrl, a.player, a.maxMessages])
