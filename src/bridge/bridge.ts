import { guardStorage } from '../storage/guarded'
import { createMessageLog } from '../storage/message-log'
import { exposeDebug } from './debug'
import { createEmitter } from './emitter'
import { createPoller } from './fallback'
import { parseFrame } from './frame'
import { createHeartbeat } from './heartbeat'
import { watchPage } from './lifecycle'
import { type ConnectOptions, type Message, type WebSocketClass, resolveOptions } from './options'
import { createOutbox, type Outgoing, type SendResult } from './outbox'
import { redactUrl } from './redact'
import { type Status, initialStatus, isStatus, snapshot, statusKey } from './status'
import { createTransport } from './transport'

export type ErrorKind = 'frame' | 'connection' | 'fallback' | 'heartbeat' | 'storage'

/** Something went wrong that the bridge survived; it keeps running. */
export interface BridgeError {
  kind: ErrorKind
  message: string
}

export interface BridgeEvents {
  [event: string]: unknown[]
  /** A new message, after dedup and after it is kept. */
  message: [message: Message]
  /** The status changed (counters alone do not emit). */
  status: [status: Status, previous: Status]
  error: [error: BridgeError]
}

export interface Bridge {
  readonly room: string
  /** The live WebSocket (readyState 1 when open), or the last one; null before the first attempt. */
  readonly ws: WebSocket | null
  on<K extends keyof BridgeEvents>(event: K, listener: (...args: BridgeEvents[K]) => void): () => void
  /** Sends now, or queues while disconnected; strings go as they are, anything else as JSON. */
  send(data: unknown): SendResult
  getStatus(): Status
  /** Kept messages, oldest first. */
  getMessages(): Message[]
  /** Drops the socket and connects again at once. */
  reconnect(): void
  /** Forgets the kept messages and seen ids of this room. */
  clear(): void
  /** Closes the socket, writes storage, stops every timer; the bridge is done. */
  close(): void
}

const isObject = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function encode(data: unknown): Outgoing {
  if (typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) return data
  let text: string | undefined
  try {
    text = JSON.stringify(data)
  } catch {
    // circular, or a BigInt: refused below
  }
  if (text === undefined) throw new TypeError('[ws-bridge] send() takes a string, binary data or a JSON-serializable value')
  return text
}

const browserWindow = (): Window | null => (typeof window !== 'undefined' && window.document ? window : null)
const isOnline = () => typeof navigator === 'undefined' || navigator.onLine !== false

/** Starts a bridge: one WebSocket for `room`, its messages deduplicated, kept and delivered. */
export function connect(input: ConnectOptions): Bridge {
  const options = resolveOptions(input)
  const { room, resumeParam } = options
  const WebSocketImpl = options.WebSocket || (typeof WebSocket !== 'undefined' ? (WebSocket as WebSocketClass) : undefined)
  if (!WebSocketImpl) throw new TypeError('[ws-bridge] no WebSocket here: pass options.WebSocket (in Node, the ws package)')
  const fetchImpl = options.fetch || (typeof fetch !== 'undefined' ? fetch : undefined)
  if (options.fallbackUrl && !fetchImpl) throw new TypeError('[ws-bridge] fallbackUrl needs fetch: pass options.fetch')
  const win = browserWindow()

  const events = createEmitter<BridgeEvents>()
  const report = (kind: ErrorKind, message: string) => events.emit('error', { kind, message })
  let started = false
  // A storage that fails while opening is in the initial status; one that fails later is a status change.
  const storage = guardStorage(options.storage, (problem) => {
    if (!started) return
    setStatus({ storage: storage.kind, storageProblem: problem })
    report('storage', problem)
  })
  const log = createMessageLog(storage, {
    ...options,
    onEvicted: (count) => {
      status.counters.dropped += count
    },
  })
  let status = initialStatus(room, storage.kind, storage.problem)
  const previous = storage.read(statusKey(room), isStatus)
  // Totals run on across reloads, like the log they describe.
  if (previous) status.counters = { ...status.counters, ...previous.counters }
  started = true
  let closed = false
  let flushTimer: ReturnType<typeof setTimeout> | undefined

  function persist() {
    clearTimeout(flushTimer)
    flushTimer = undefined
    log.save()
    storage.write(statusKey(room), status)
  }
  // A burst of messages costs one write per flushDelay, not one rewrite of the whole array per message.
  function schedulePersist() {
    if (flushTimer === undefined && !closed) flushTimer = setTimeout(persist, options.flushDelay)
  }

  function setStatus(patch: Partial<Status>) {
    const old = status
    status = { ...status, ...patch, counters: { ...status.counters } }
    persist()
    events.emit('status', snapshot(status), old)
  }

  function accept(value: unknown) {
    const counters = status.counters
    if (!isObject(value)) {
      counters.invalid++
      report('frame', 'ignored a frame that is not a JSON object')
      return
    }
    if (log.add(value) === 'duplicate') {
      counters.duplicates++
      return
    }
    counters.stored++
    status.lastMessageAt = Date.now()
    schedulePersist()
    events.emit('message', value)
  }

  function receiveFrame(data: unknown) {
    const frame = parseFrame(data, options.maxFrameSize)
    const pong = 'value' in frame && isObject(frame.value) && isPong(frame.value)
    heartbeat.received(pong)
    if (pong) return
    status.counters.received++
    if ('problem' in frame) {
      status.counters.invalid++
      report('frame', frame.problem)
    } else {
      accept(frame.value)
    }
  }

  const isPong = (message: Message) => {
    try {
      return options.isPong(message) === true
    } catch {
      return false
    }
  }

  const resume = (): [string, string] | null => {
    const last = log.lastId()
    return last === undefined ? null : [resumeParam || 'since', last]
  }

  const poller = options.fallbackUrl
    ? createPoller({
        url: options.fallbackUrl,
        interval: options.fallbackInterval,
        fetch: fetchImpl as typeof fetch,
        resume,
        isOnline,
        received: (list) => {
          for (const value of list) {
            status.counters.received++
            accept(value)
          }
        },
        error: (message) => report('fallback', message),
      })
    : null

  function startPolling() {
    if (!poller || closed || poller.running) return
    poller.start()
    setStatus({ transport: 'polling' })
  }

  function stopPolling() {
    if (poller && poller.running) poller.stop()
  }

  const outbox = createOutbox(options.maxQueued)

  const transport = createTransport(
    {
      ...options,
      WebSocket: WebSocketImpl,
      prepareUrl(provided) {
        if (typeof provided !== 'string' || !provided) throw new TypeError('the URL provider gave ' + String(provided))
        const url = new URL(provided, win ? win.location.href : undefined)
        if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:'
        if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError('not a ws:// or wss:// URL: ' + redactUrl(provided))
        const since = resumeParam ? resume() : null
        if (since) url.searchParams.set(since[0], since[1])
        return url.toString()
      },
      isOnline,
    },
    {
      connecting: (url) => setStatus({ state: 'connecting', url: redactUrl(url, resumeParam ? [resumeParam] : []), retryAt: null }),
      open() {
        stopPolling()
        setStatus({ state: 'connected', transport: 'websocket', connectedAt: Date.now(), retryAt: null, lastError: null })
        heartbeat.start()
        outbox.flush(transport.send)
      },
      message: receiveFrame,
      close(code, reason, wasOpen) {
        heartbeat.stop()
        setStatus({
          state: wasOpen ? 'disconnected' : 'error',
          lastCloseCode: code,
          lastError: wasOpen ? status.lastError : 'connection failed (code ' + code + (reason ? ': ' + reason : '') + ')',
        })
        if (!wasOpen) report('connection', status.lastError as string)
        startPolling()
      },
      retry: (delay, failures) => setStatus({ attempts: failures, retryAt: Date.now() + delay }),
      stable: () => setStatus({ attempts: 0 }),
      error(message) {
        setStatus({ state: 'error', lastError: message })
        report('connection', message)
        startPolling()
      },
      gaveUp(failures) {
        setStatus({ state: 'error', retryAt: null, lastError: 'gave up after ' + failures + ' failed attempts; call reconnect()' })
        report('connection', status.lastError as string)
      },
    },
  )

  const heartbeat = createHeartbeat({
    interval: options.heartbeatInterval,
    timeout: options.heartbeatTimeout,
    ping: () => transport.send(options.pingMessage),
    dead() {
      const message = 'no answer to a ping for ' + options.heartbeatTimeout + ' ms; reconnecting'
      setStatus({ lastError: message })
      report('heartbeat', message)
      transport.reconnect()
    },
  })

  const unwatch = win && options.lifecycle
    ? watchPage(win, {
        hide() {
          heartbeat.stop()
          stopPolling()
          transport.close(1000, 'page hidden')
          setStatus({ state: 'disconnected', lastCloseCode: 1000 })
        },
        restore: () => transport.reconnect(),
        wake: () => transport.wake(),
      })
    : null

  const bridge: Bridge = {
    room,
    get ws() {
      return transport.socket
    },
    on: events.on,
    send(data) {
      const encoded = encode(data)
      if (!closed && transport.send(encoded)) return 'sent'
      if (!closed && outbox.push(encoded)) return 'queued'
      status.counters.dropped++
      schedulePersist()
      return 'dropped'
    },
    getStatus: () => snapshot(status),
    getMessages: () => log.messages(),
    reconnect() {
      if (!closed) transport.reconnect()
    },
    clear() {
      log.clear()
      persist()
    },
    close() {
      if (closed) return
      heartbeat.stop()
      stopPolling()
      transport.close(1000, 'closed by the client')
      if (unwatch) unwatch()
      if (hideDebug) hideDebug()
      outbox.clear()
      setStatus({ state: 'closed', transport: 'websocket', retryAt: null })
      closed = true
    },
  }

  const debugWindow = options.debugWindow || win
  const hideDebug = options.debug && debugWindow ? exposeDebug(debugWindow, bridge) : null
  return bridge
}
