import type { StorageChoice } from '../storage/guarded'
import { redactUrl } from './redact'
import { resumeUrl } from './resume'

/** A message as the server sent it: one JSON object, `id`, `type` and payload at top level. */
export type Message = { [field: string]: unknown }

/** A URL, or a function giving one per attempt (sync or async), so a short-lived token can be fetched each time. */
export type UrlProvider = string | (() => string | Promise<string>)

/** The URL of this attempt; a provider that throws gives a rejection, never an exception. */
export const provide = async (url: UrlProvider): Promise<string> => (typeof url === 'function' ? url() : url)

/** The subset of the WebSocket class the bridge needs: the browser's, or `ws` in Node. */
export type WebSocketClass = {
  new (url: string, protocols?: string | string[]): WebSocket
  readonly CLOSING: number
}

export interface Options {
  /** ws:// or wss:// URL (relative ones resolve against the page), or a function returning one per attempt. */
  url: UrlProvider
  /** Room name; it names the storage keys ws_messages_{room} and ws_status_{room}. */
  room: string
  /** Messages kept, oldest dropped first. */
  maxMessages: number
  /** Field holding a message's id, or a function returning it. Messages without one are kept and never deduped. */
  dedupKey: string | ((message: Message) => unknown)
  /** How many more ids than the kept messages' are remembered for dedup while the page lives. */
  dedupWindow: number
  /** Query parameter that tells the server the last id held, on every (re)connect and fallback poll; false sends none. */
  resumeParam: string | false
  /** Delay before the first retry, in ms; it doubles per failed attempt. */
  retryDelay: number
  /** Longest delay between attempts, in ms. */
  maxRetryDelay: number
  /** Share (0–1) by which each delay may be shortened at random. */
  jitter: number
  /** Failed attempts in a row before giving up; reconnect() starts again. */
  maxRetries: number
  /** An attempt not open after this many ms is abandoned and retried. */
  connectTimeout: number
  /** A connection open this long counts as stable and resets the attempt counter. */
  stableAfter: number
  /** Ms between app-level pings while connected; 0 sends none. */
  heartbeatInterval: number
  /** Once the server has answered a ping, silence this long after a ping means the link is dead. */
  heartbeatTimeout: number
  /** The ping frame sent. */
  pingMessage: string
  /** Tells a pong (consumed, never stored) from a message. */
  isPong: (message: Message) => boolean
  /**
   * HTTP URL polled while the socket is down, as GET url?since=<last id>; it answers a JSON array of messages,
   * with the header X-WS-Bridge-More: 1 when more wait. Or a function giving one per poll (a fresh token each time).
   */
  fallbackUrl: UrlProvider | null
  /** Ms between fallback polls. */
  fallbackInterval: number
  /** Outgoing messages held while disconnected; past it send() drops. */
  maxQueued: number
  /** Frames longer than this many characters are refused. */
  maxFrameSize: number
  /** 'session' (sessionStorage), 'memory', or any Storage-like object. */
  storage: StorageChoice
  /** Ms to gather storage writes into one; pagehide and close() write at once. */
  flushDelay: number
  /** Sets window._wsDebug for the console; false opts out. */
  debug: boolean
  /** Window that receives _wsDebug (a Streamlit component passes the app's top window). */
  debugWindow: Window | null
  /** Reacts to pagehide, online and the page becoming visible; false reacts to none, and attempts keep to the backoff even offline. */
  lifecycle: boolean
  /** WebSocket subprotocols. */
  protocols: string | string[] | undefined
  /** WebSocket class; needed outside browsers (the `ws` package in Node). */
  WebSocket: WebSocketClass | undefined
  /** fetch used by fallback polling. */
  fetch: typeof fetch | undefined
}

export type ConnectOptions = Partial<Options> & Pick<Options, 'url' | 'room'>

export const DEFAULTS: Omit<Options, 'url' | 'room'> = {
  maxMessages: 100,
  dedupKey: 'id',
  dedupWindow: 1000,
  resumeParam: 'since',
  retryDelay: 1000,
  maxRetryDelay: 30000,
  jitter: 0,
  maxRetries: Infinity,
  connectTimeout: 10000,
  stableAfter: 5000,
  heartbeatInterval: 30000,
  heartbeatTimeout: 10000,
  pingMessage: '{"type":"ping"}',
  isPong: (message) => message.type === 'pong',
  fallbackUrl: null,
  fallbackInterval: 10000,
  maxQueued: 100,
  maxFrameSize: 1048576,
  storage: 'session',
  flushDelay: 50,
  debug: true,
  debugWindow: null,
  lifecycle: true,
  protocols: undefined,
  WebSocket: undefined,
  fetch: undefined,
}

// Numeric options that must be above zero; the others may be 0. Only maxRetries may be Infinity.
const POSITIVE = ['maxMessages', 'connectTimeout', 'heartbeatTimeout', 'fallbackInterval', 'maxFrameSize']

function fail(name: string, expected: string, value: unknown): never {
  throw new TypeError('[ws-bridge] option "' + name + '" must be ' + expected + ', got ' + (typeof value === 'string' ? JSON.stringify(value) : String(value)))
}

const isProvider = (value: unknown) => typeof value === 'function' || (typeof value === 'string' && !!value)

/** A URL string or a function; a static URL must be usable as it is: ws(s) or http(s), absolute or relative to the page (a function's URLs are checked per attempt). */
function checkUrl(url: unknown) {
  if (!isProvider(url)) fail('url', 'a URL string or a function', url)
  if (typeof url !== 'string') return
  let scheme = ''
  try {
    scheme = resumeUrl(url, false, undefined).protocol
  } catch {
    // relative, with no page to resolve it against
  }
  if (!/^(ws|http)s?:$/.test(scheme)) fail('url', 'a ws(s):// or http(s):// URL, or one relative to the page', redactUrl(url))
}

function checkRoom(room: unknown) {
  if (typeof room !== 'string' || !room) fail('room', 'a non-empty string', room)
}

function checkPositive(name: string, value: unknown) {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) fail(name, 'a number > 0', value)
}

function checkNumber(name: string, value: unknown) {
  if (POSITIVE.indexOf(name) >= 0) return checkPositive(name, value)
  if (typeof value !== 'number' || !(value >= 0) || (value === Infinity && name !== 'maxRetries') || (name === 'jitter' && value > 1)) {
    fail(name, name === 'jitter' ? 'between 0 and 1' : 'a number ≥ 0', value)
  }
}

function checkFallbackUrl(value: unknown) {
  if (value !== null && !isProvider(value)) fail('fallbackUrl', 'a URL string or a function', value)
}

/**
 * Defaults filled in and every option checked against the type of its
 * default, so bad input fails here with its name, not later in a callback.
 */
export function resolveOptions(input: ConnectOptions): Options {
  if (!input || typeof input !== 'object') fail('options', 'an object', input)
  const options: { [name: string]: unknown } = { ...DEFAULTS }
  for (const [name, value] of Object.entries(input)) {
    if (!(name in DEFAULTS) && name !== 'url' && name !== 'room') throw new TypeError('[ws-bridge] option "' + name + '" does not exist')
    if (value !== undefined) options[name] = value
  }
  checkUrl(options.url)
  checkRoom(options.room)
  for (const [name, fallback] of Object.entries(DEFAULTS)) {
    const value = options[name]
    if (typeof fallback === 'number') {
      checkNumber(name, value)
    } else if (
      fallback !== null && fallback !== undefined && name !== 'storage' && typeof value !== typeof fallback &&
      !(name === 'resumeParam' && value === false) && !(name === 'dedupKey' && typeof value === 'function')
    ) {
      fail(name, 'a ' + typeof fallback, value)
    }
  }
  if (options.resumeParam === '') fail('resumeParam', 'a name or false', '')
  checkFallbackUrl(options.fallbackUrl)
  return options as unknown as Options
}
