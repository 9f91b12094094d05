// The host-neutral delivery core: one room's bridge, its ledger and the batch
// schedule, wired together. Every host component (the Streamlit entries, the
// anywidget module) is a thin shim that hands batches to its Python side and
// reports Python's acknowledgements back. New messages are numbered in the
// ledger and mark the coalescer; a status change repaints, and marks it only
// when it matters to Python (statusSignature).
import { type Bridge, startBridge } from '../bridge/bridge'
import { DEFAULTS, type Options, type WebSocketClass } from '../bridge/options'
import type { Batch, HostOptions } from './batch'
import { identityOf } from './batch'
import { createCoalescer, type Coalescer } from './coalesce'
import { describeStatus, isCountingDown, type Label } from './indicator'
import { createLedger, type Ledger } from './ledger'
import { statusSignature } from './signature'
import { withToken } from './token'

export interface Host {
  /** Hand Python this batch; it stays in flight until acknowledge() covers its lastSeq. */
  deliver(batch: Batch): void
  /** The status changed: repaint the indicator. */
  paint(): void
  /** The window that gets _wsDebug. */
  debugWindow: Window
  /**
   * The host's channel keeps only its latest value (Streamlit's component value), so a newer
   * batch, always a superset of the one in flight, may take its place. Other channels carry every
   * message (anywidget's custom messages): new events wait behind the batch in flight.
   */
  replaces?: boolean
}

export interface Delivery {
  readonly bridge: Bridge
  readonly ledger: Ledger
  /** What the room was started with; options with another identity need another delivery. */
  readonly identity: string
  /** Batches may go from now on (a host may drop what it gets before it is ready). */
  ready(): void
  /** Python has everything up to `seq` of tab `tab`: the batch in flight is done, the next may go. */
  acknowledge(tab: string | null, seq: number | null): void
  /** The channel lost what was in flight (a new view, a remount): send everything unacknowledged again. */
  resend(): void
  /** A new shortest time between batches, in ms. */
  setInterval(ms: number): void
  /** The batch to hand Python now, flushed to storage first: Python may act on its numbers. */
  batch(): Batch
  /** Closes the socket and writes the ledger; no batch follows. */
  close(): void
}

/**
 * Starts the room's bridge. Its options were checked where the app passed them,
 * by the Python wrapper (a URL it could never dial raises there), so they are
 * not checked again here: a host module carries none of connect()'s checks.
 */
export function openDelivery(a: HostOptions, host: Host): Delivery {
  const options: Options = {
    ...DEFAULTS,
    // With a token URL, each attempt and each poll fetches a fresh token first; a failed fetch is retried like a failed attempt.
    url: withToken(a.url, a.tokenUrl, null),
    room: a.room,
    fallbackUrl: a.fallbackUrl === null ? null : withToken(a.fallbackUrl, a.tokenUrl, a.player),
    maxMessages: a.maxMessages,
    debugWindow: host.debugWindow,
  }
  // A host page is a browser's: its WebSocket and fetch, as connect() would pick.
  const bridge = startBridge({ ...options, WebSocket: WebSocket as WebSocketClass, fetch })
  const ledger = createLedger('session', a.room)
  let lastSent: string | null = null
  // The lastSeq of the batch in flight while it carries unacknowledged events; null when none is.
  let inFlight: number | null = null
  // A send came due while a batch was in flight: it goes once that one is acknowledged.
  let owed = false
  const coalescer: Coalescer = createCoalescer(send, a.throttleMs)

  function batch(): Batch {
    ledger.flush()
    const status = bridge.getStatus()
    const record = ledger.snapshot()
    lastSent = statusSignature(status)
    return { v: 1, tab: record.tab, baseSeq: record.ack, lastSeq: record.last, events: record.pending, messages: bridge.getMessages(), status }
  }

  // The batch schedule is also the ledger's write schedule: numbers given out since the last tick are saved even while a batch waits.
  function send() {
    if (inFlight !== null && !host.replaces) {
      owed = true
      ledger.flush()
      return
    }
    owed = false
    const next = batch()
    inFlight = next.lastSeq > next.baseSeq ? next.lastSeq : null
    host.deliver(next)
  }

  bridge.on('message', (message) => {
    if (ledger.add(message)) coalescer.mark()
  })
  bridge.on('reset', (reset) => {
    ledger.reset(reset)
    coalescer.mark()
  })
  bridge.on('status', (status) => {
    host.paint()
    if (statusSignature(status) !== lastSent) coalescer.mark()
  })
  // Numbers Python may have seen must be in storage before the page goes. This
  // page's own window: debugWindow may be the app's, above a component's frame.
  const flushOnHide = () => ledger.flush()
  window.addEventListener('pagehide', flushOnHide)
  // The first batch tells Python the status and hands over whatever an earlier page or view left unacknowledged.
  coalescer.mark()

  return {
    bridge,
    ledger,
    identity: identityOf(a),
    ready: () => coalescer.ready(),
    acknowledge(tab, seq) {
      // Saved at once: a reload must not hand Python again what it acknowledged.
      if (ledger.acknowledge(tab, seq)) ledger.flush()
      if (inFlight === null || ledger.ack < inFlight) return
      inFlight = null
      if (owed || ledger.last > ledger.ack) coalescer.mark()
    },
    resend() {
      inFlight = null
      coalescer.mark()
    },
    setInterval: (ms) => coalescer.setInterval(ms),
    batch,
    close() {
      coalescer.dispose()
      bridge.close()
      ledger.flush()
      window.removeEventListener('pagehide', flushOnHide)
    },
  }
}

/** The indicator's line: a start-up problem, else the room's status. */
export function labelOf(problem: string | null, delivery: Delivery | null, a: HostOptions | null): Label {
  if (problem) return { tone: 'down', text: '🔴 Connection error (' + problem + ')' }
  return describeStatus(delivery ? delivery.bridge.getStatus() : null, Date.now(), a && a.fallbackUrl ? DEFAULTS.fallbackInterval : null)
}

/** Repaints each second while a retry countdown shows, in the browser: Python is not bothered. */
export function createTicker(paint: () => void): (delivery: Delivery | null, visible: boolean) => void {
  let ticking: ReturnType<typeof setInterval> | undefined
  return (delivery, visible) => {
    const counting = visible && isCountingDown(delivery ? delivery.bridge.getStatus() : null)
    if (counting && ticking === undefined) ticking = setInterval(paint, 1000)
    if (!counting && ticking !== undefined) {
      clearInterval(ticking)
      ticking = undefined
    }
  }
}
