// The contract between the component frame and the Python wrapper
// (python/streamlit_ws_bridge): the args Python passes, the value the frame sends back.
import type { Message, Status } from '../index'
import type { Reset } from '../bridge/reset'

/** Args of ws_bridge(), as Python passes them on every run. */
export interface ComponentArgs {
  /** Full ws:// URL, placeholders already filled. */
  url: string
  room: string
  fallbackUrl: string | null
  /** GET before every (re)connect and fallback poll, answering {"token": "…"}; null: no token. */
  tokenUrl: string | null
  /** The client the fallback poll names beside its token (ws_bridge's `player`). */
  player: string | null
  maxMessages: number
  throttleMs: number
  showStatus: boolean
  /** The tab the acknowledgement is for: a frame of another tab's ledger ignores it. */
  ackTab: string | null
  /** Highest seq Python has handed to the app for this tab and room. */
  ack: number | null
}

/**
 * One delivered message, or a reset (the server could not replay: Python tells
 * the script to reload its state), numbered in the order this tab received them.
 */
export type NumberedEvent = { seq: number; event: Message } | { seq: number; reset: Reset }

/** What setComponentValue sends: everything not yet acknowledged, so a lost value loses nothing. */
export interface ComponentValue {
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

/** The render event's args, checked: anything missing or mistyped takes its default. */
export function readArgs(raw: unknown): ComponentArgs {
  const args = (typeof raw === 'object' && raw !== null ? raw : {}) as { [name: string]: unknown }
  return {
    url: text(args.url, ''),
    room: text(args.room, ''),
    fallbackUrl: typeof args.fallback_url === 'string' && args.fallback_url ? args.fallback_url : null,
    tokenUrl: typeof args.token_url === 'string' && args.token_url ? args.token_url : null,
    player: typeof args.player === 'string' ? args.player : null,
    maxMessages: Math.max(1, Math.floor(count(args.max_messages, 100))),
    throttleMs: count(args.throttle_ms, 100),
    showStatus: args.show_status !== false,
    ackTab: typeof args.ack_tab === 'string' ? args.ack_tab : null,
    ack: typeof args.ack === 'number' && Number.isInteger(args.ack) ? args.ack : null,
  }
}
