import { checkStorage, openStorage } from '../storage/guarded'
import { createMessageLog, isMessage } from '../storage/message-log'
import { exposeDebug } from './debug'
import { createEmitter } from './emitter'
import { createPoller } from './fallback'
import { parseFrame } from './frame'
import { createHeartbeat } from './heartbeat'
import { watchPage } from './lifecycle'
import { type ConnectOptions, type Message, type Options, provide, type WebSocketClass, resolveOptions } from './options'
import { createOutbox, encode, type SendResult } from './outbox'
import { redactUrl } from './redact'
import { readReset, type Reset } from './reset'
import { resumeUrl } from './resume'
import { statusKey } from '../storage/keys'
import { type Status, initialStatus, isNews, isStatus, snapshot } from './status'
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
  /** The server could not replay from our last id: the kept history was dropped; reload your state. */
  reset: [reset: Reset]
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

const navigatorOnline = () => typeof navigator === 'undefined' || navigator.onLine !== false

/** Options with the environment settled: the WebSocket class and the fetch to use. */
export type BridgeOptions = Options & { WebSocket: WebSocketClass; fetch: typeof fetch }

/** Starts a bridge: one WebSocket for `room`, its messages deduplicated, kept and delivered. */
export function connect(input: ConnectOptions): Bridge {
  const options = resolveOptions(input)
  const WebSocketImpl = options.WebSocket || (typeof WebSocket !== 'undefined' ? (WebSocket as WebSocketClass) : undefined)
  if (!WebSocketImpl) throw new TypeError('[ws-bridge] no WebSocket here: pass options.WebSocket (in Node: ws)')
  const fetchImpl = options.fetch || fetch
  checkStorage(options.storage)
  return startBridge({ ...options, WebSocket: WebSocketImpl, fetch: fetchImpl })
}

/** connect() for options checked already: a host component's bundle then carries only the checks of what it passes. */
export function startBridge(options: BridgeOptions): Bridge {
  const { room, resumeParam } = options
  const win = typeof window !== 'undefined' && window.document ? window : null
  // Attempts wait while offline only when the 'online' event can end the wait: lifecycle: false listens to none.
  const isOnline = options.lifecycle ? navigatorOnline : () => true

  const events = createEmitter<BridgeEvents>()
  const report = (kind: ErrorKind, message: string) => events.emit('error', { kind, message })
  // A storage that fails while opening is in the initial status; one that fails later changes it.
  let started = false
  const storage = openStorage(options.storage, (problem) => {
    if (started) setStatus({ storage: storage.kind, storageProblem: problem })
    report('storage', problem)
  })
  // Totals and the last reset run on across reloads, like the log they describe.
  const previous = storage.read(statusKey(room), isStatus)
  const log = createMessageLog(storage, {
    ...options,
    resumeFrom: previous?.lastReset?.resume,
    onEvicted: (count) => (status.counters.dropped += count),
  })
  let status = initialStatus(room, storage.kind, storage.problem)
  started = true
  if (previous) {
    status.counters = { ...status.counters, ...previous.counters }
    status.lastReset = previous.lastReset || null
  }
  const counters = () => status.counters
  let closed = false
  let flushTimer: ReturnType<typeof setTimeout> | undefined

  function persist() {
    clearTimeout(flushTimer)
    flushTimer = undefined
    log.save()
    storage.write(statusKey(room), status)
  }
  // A burst costs one write per flushDelay, not one rewrite of the whole array per message.
  function schedulePersist() {
    if (flushTimer === undefined && !closed) flushTimer = setTimeout(persist, options.flushDelay)
  }

  function setStatus(patch: Partial<Status>) {
    const old = status
    status = snapshot({ ...status, ...patch })
    persist()
    if (isNews(status, old)) events.emit('status', snapshot(status), old)
  }

  // Something failed that the bridge survives: it shows in status.lastError and as an 'error' event.
  function fault(kind: ErrorKind, message: string, patch?: Partial<Status>) {
    setStatus({ ...patch, lastError: message })
    report(kind, message)
  }

  // socket or poll → parse → dedup → log → listeners (storage follows, coalesced)
  function accept(value: unknown, problem = 'ignored a frame that is no JSON object') {
    // A listener may have closed the bridge halfway through a polled batch: nothing is delivered after close().
    if (closed) return
    const reset = readReset(value)
    if (reset) return restart(reset)
    counters().received++
    let text: string | undefined
    try {
      // Serialized once, here: a message nested too deep to serialize is refused now, not at every save.
      text = isMessage(value) ? JSON.stringify(value) : undefined
    } catch {
      problem = 'ignored a message too deeply nested to store'
    }
    if (text === undefined) {
      counters().invalid++
      report('frame', problem)
    } else if (log.add(value as Message, text) === 'duplicate') {
      counters().duplicates++
    } else {
      counters().stored++
      status.lastMessageAt = Date.now()
      schedulePersist()
      events.emit('message', value as Message)
    }
  }

  // In place of a replay the server cannot give (PROTOCOL.md, "Reset"); src/bridge/reset.ts says why it goes this way.
  function restart(frame: Pick<Reset, 'since' | 'resume' | 'reason'>) {
    const reset: Reset = { ...frame, at: Date.now(), dropped: log.restart(frame.resume) }
    counters().resets++
    setStatus({ lastReset: reset })
    events.emit('reset', reset)
  }

  function receiveFrame(data: unknown) {
    const frame = parseFrame(data, options.maxFrameSize)
    let pong = false
    try {
      pong = isMessage(frame.value) && options.isPong(frame.value) === true
    } catch {
      // a throwing isPong means "not a pong"
    }
    heartbeat.received(pong)
    if (!pong) accept(frame.value, frame.problem)
  }

  const { fallbackUrl } = options
  const poller =
    fallbackUrl
      ? createPoller({
          url: async () => resumeUrl(await provide(fallbackUrl), resumeParam, log.lastId()).toString(),
          interval: options.fallbackInterval,
          fetch: options.fetch,
          isOnline,
          received: (list) => list.forEach((value) => accept(value)),
          error: (message) => report('fallback', message),
        })
      : null

  function startPolling() {
    if (poller && !closed && poller.start()) setStatus({ transport: 'polling' })
  }

  const outbox = createOutbox(options.maxQueued)

  const transport = createTransport(
    {
      ...options,
      prepareUrl(provided) {
        const url = resumeUrl(provided, resumeParam, log.lastId())
        url.protocol = url.protocol.replace(/^http/, 'ws')
        if (!/^wss?:$/.test(url.protocol)) throw new TypeError('not a ws:// or wss:// URL: ' + redactUrl(provided))
        return url.toString()
      },
      isOnline,
    },
    {
      connecting: (url) => setStatus({ state: 'connecting', url: redactUrl(url, [resumeParam || '']), retryAt: null }),
      open() {
        poller?.stop()
        // Started before the listeners hear of it: one of them may close() the bridge, which stops it.
        heartbeat.start()
        setStatus({ state: 'connected', transport: 'websocket', connectedAt: Date.now(), retryAt: null, lastError: null })
        // After the listeners, so that an auth message sent from one goes out first.
        if (!closed) outbox.flush(transport.send)
      },
      message: receiveFrame,
      close(code, reason, wasOpen) {
        heartbeat.stop()
        if (wasOpen) setStatus({ state: 'disconnected', lastCloseCode: code })
        else fault('connection', 'connection failed (code ' + code + (reason ? ': ' + reason : '') + ')', { state: 'error', lastCloseCode: code })
        startPolling()
      },
      retry: (delay, failures) => setStatus({ attempts: failures, retryAt: Date.now() + delay }),
      stable: () => setStatus({ attempts: 0 }),
      error(message) {
        fault('connection', message, { state: 'error' })
        startPolling()
      },
      gaveUp: (failures) => fault('connection', 'gave up after ' + failures + ' failed attempts', { state: 'error', retryAt: null }),
    },
  )

  const heartbeat = createHeartbeat({
    interval: options.heartbeatInterval,
    timeout: options.heartbeatTimeout,
    ping: () => transport.send(options.pingMessage),
    dead() {
      // The dead socket's close is never heard (reconnect() drops it), so say so here:
      // offline, the next attempt waits for 'online' and 'connected' would stay up meanwhile.
      fault('heartbeat', 'no answer to a ping for ' + options.heartbeatTimeout + ' ms; reconnecting', { state: 'disconnected' })
      if (closed) return
      transport.reconnect()
      // The socket is down now; the next attempt may take up to connectTimeout to fail.
      startPolling()
    },
  })

  const unwatch =
    win && options.lifecycle
      ? watchPage(win, {
          hide() {
            heartbeat.stop()
            poller?.stop()
            transport.close(1000, 'page hidden')
            setStatus({ state: 'disconnected', lastCloseCode: 1000 })
          },
          wake: transport.wake,
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
      counters().dropped++
      schedulePersist()
      return 'dropped'
    },
    getStatus: () => snapshot(status),
    getMessages: log.messages,
    reconnect() {
      if (closed) return
      heartbeat.stop() // the dropped socket's close is never heard: its pending ping must not kill the next attempt
      transport.reconnect()
    },
    clear() {
      log.clear()
      persist()
    },
    close() {
      if (closed) return
      // First: whatever a listener does from here on (reconnect(), send()) finds the bridge closed.
      closed = true
      heartbeat.stop()
      poller?.stop()
      transport.close(1000, 'closed by the client')
      unwatch?.()
      hideDebug?.()
      outbox.clear()
      setStatus({ state: 'closed', transport: 'websocket', retryAt: null })
      events.clear()
    },
  }

  const debugWindow = options.debugWindow || win
  const hideDebug = options.debug && debugWindow ? exposeDebug(debugWindow, bridge) : null
  return bridge
}
