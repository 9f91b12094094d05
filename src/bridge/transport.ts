// The one module that drives reconnecting-websocket (rws-class.ts only finds its
// class). It keeps the library for what it does well (driving attempts, the
// connect timeout) and guards its known defects, so swapping it out touches these two files only.
import { type BackoffOptions, retryDelay } from './backoff'
import { provide, type UrlProvider, type WebSocketClass } from './options'
import { type RwsInstance, rwsClass } from './rws-class'
import { errorText } from '../warn'

export interface TransportOptions extends BackoffOptions {
  url: UrlProvider
  protocols: string | string[] | undefined
  WebSocket: WebSocketClass
  connectTimeout: number
  stableAfter: number
  maxRetries: number
  /** Turns the provided URL into the one dialled (resume id added); throws on a URL that cannot be used. */
  prepareUrl: (url: string) => string
  isOnline: () => boolean
}

export interface TransportHandlers {
  /** An attempt starts, to this URL. */
  connecting(url: string): void
  open(): void
  message(data: unknown): void
  /** The socket closed; `wasOpen` tells a dropped connection from a failed attempt. */
  close(code: number, reason: string, wasOpen: boolean): void
  /** Waiting `delay` ms before the next attempt, after `failures` failed ones. */
  retry(delay: number, failures: number): void
  /** The connection stayed up for stableAfter ms: the failure count is back to 0. */
  stable(): void
  error(message: string): void
  /** maxRetries attempts failed in a row; nothing more happens until reconnect(). */
  gaveUp(failures: number): void
}

export interface Transport {
  /** The live WebSocket (or the last one), null before the first attempt. */
  readonly socket: WebSocket | null
  /** Sends on the open socket; false when there is none. */
  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): boolean
  /** Drops the current socket and attempts again at once, with a fresh failure count. */
  reconnect(): void
  /** Cuts a backoff wait or an offline pause short, or starts again after close() or giving up. */
  wake(): void
  close(code?: number, reason?: string): void
}

const noop = () => {}
// What a stale URL lookup answers: its instance is closed and will not dial it.
const STOPPED = 'ws://stopped.invalid'

export function createTransport(options: TransportOptions, on: TransportHandlers): Transport {
  const Rws = rwsClass()
  let rws: RwsInstance | null = null
  let socket: WebSocket | null = null
  // Bumped whenever the current reconnecting-websocket instance is replaced or
  // closed: events and pending URL lookups of older generations are ignored.
  let generation = 0
  let failures = 0
  let firstAttempt = true
  let stableTimer: ReturnType<typeof setTimeout> | undefined
  let waitTimer: ReturnType<typeof setTimeout> | undefined
  let wakeUp: (() => void) | null = null

  const pause = (ms: number | null) =>
    new Promise<void>((resolve) => {
      wakeUp = () => {
        clearTimeout(waitTimer)
        wakeUp = null
        resolve()
      }
      if (ms !== null) waitTimer = setTimeout(wakeUp, ms)
    })

  // Every attempt passes through here, which lets the bridge own the backoff
  // (reconnecting-websocket's own delay is set to 0; its default minimum is a
  // random 1–5 s per page load), pause while offline, and turn a rejecting
  // URL provider into an error and a retry: the library leaves such a
  // rejection unhandled and its connect lock held forever (#134).
  const provideUrl = async (): Promise<string> => {
    const mine = generation
    for (;;) {
      if (firstAttempt) firstAttempt = false
      else failures++
      if (failures > options.maxRetries) {
        stop()
        on.gaveUp(failures - 1)
        return STOPPED
      }
      if (failures > 0) {
        const delay = retryDelay(failures, options)
        on.retry(delay, failures)
        // A listener may have closed or restarted us: no wait (and no timer) for a dead instance.
        if (mine !== generation) return STOPPED
        await pause(delay)
      }
      while (mine === generation && !options.isOnline()) await pause(null)
      // A close() or reconnect() came meanwhile; that instance will not dial.
      if (mine !== generation) return STOPPED
      try {
        const url = options.prepareUrl(await provide(options.url))
        if (mine !== generation) return STOPPED
        on.connecting(url)
        return mine === generation ? url : STOPPED
      } catch (err) {
        if (mine !== generation) return STOPPED
        on.error('no URL: ' + errorText(err))
      }
    }
  }

  const Base = options.WebSocket
  // Wrapping the class is how the bridge sees the real socket and its real close codes.
  class TrackedWebSocket extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols)
      const mine = generation
      const current = () => mine === generation && socket === this
      socket = this
      let opened = false
      // Node's ws throws an 'error' event that has no listener; reconnecting-websocket
      // removes its own before closing a CONNECTING socket (#183).
      this.addEventListener('error', noop)
      this.addEventListener('open', () => {
        if (!current()) return
        opened = true
        stableTimer = setTimeout(() => {
          failures = 0
          on.stable()
        }, options.stableAfter)
        on.open()
      })
      this.addEventListener('message', (event) => {
        if (current()) on.message((event as MessageEvent).data)
      })
      this.addEventListener('close', (event) => {
        if (!current()) return
        clearTimeout(stableTimer)
        on.close((event as CloseEvent).code, (event as CloseEvent).reason || '', opened)
      })
    }
  }

  function start() {
    firstAttempt = true
    const mine = generation
    // Its delay is 0 (ours runs in provideUrl), its maxRetries stays Infinity
    // (it leaves the connect lock held when reached, #125/#165) and nothing is
    // sent through it, so its queue and uptime settings never matter.
    rws = new Rws(provideUrl, options.protocols, {
      WebSocket: TrackedWebSocket,
      connectionTimeout: options.connectTimeout,
      minReconnectionDelay: 0,
    })
    rws.addEventListener('error', (event) => {
      if (mine === generation && event.message === 'TIMEOUT') {
        on.error('connect timeout (' + options.connectTimeout + ' ms)')
      }
    })
  }

  function stop(code = 1000, reason = '') {
    generation++
    clearTimeout(stableTimer)
    wakeUp?.()
    const old = rws
    rws = null
    try {
      old?.close(code, reason)
    } catch {
      // A socket that is already failing may refuse close(); it is abandoned either way.
    }
  }

  start()

  return {
    get socket() {
      return socket
    },
    send(data) {
      if (!socket || socket.readyState !== 1) return false
      socket.send(data)
      return true
    },
    reconnect() {
      stop(4000, 'reconnect')
      failures = 0
      start()
    },
    wake() {
      if (wakeUp) wakeUp()
      else if (!rws) start()
    },
    close: stop,
  }
}
