// Entry of the Streamlit component frame: the only code that imports
// streamlit-component-lib. One bridge per frame; the frame lives as long as
// the component stays in the app, whatever the number of reruns.
import { Streamlit, type RenderData } from 'streamlit-component-lib/dist/streamlit'
import { type Bridge, connect, DEFAULTS, memoryStorage, type StorageLike } from '../index'
import { createCoalescer } from './coalesce'
import { describeStatus, type IndicatorTheme, isCountingDown, renderIndicator } from './indicator'
import { createLedger, type Ledger } from './ledger'
import { type ComponentArgs, type ComponentValue, readArgs } from './protocol'
import { statusSignature } from './signature'
import { debugWindow } from './top-window'

interface Running {
  bridge: Bridge
  ledger: Ledger
  /** What the bridge was started with; a change restarts it. */
  identity: string
}

const indicator = document.getElementById('status') as HTMLElement
let running: Running | null = null
let args: ComponentArgs | null = null
let theme: IndicatorTheme | undefined
let problem: string | null = null
let lastSentSignature: string | null = null
let ticking: ReturnType<typeof setInterval> | undefined

const coalescer = createCoalescer(send, 100)

function send() {
  if (!running) return
  const { bridge, ledger } = running
  // Python may act on these numbers: they must be in storage before it sees them.
  ledger.flush()
  const status = bridge.getStatus()
  const record = ledger.snapshot()
  const value: ComponentValue = {
    v: 1,
    tab: record.tab,
    baseSeq: record.ack,
    lastSeq: record.last,
    events: record.pending,
    messages: bridge.getMessages(),
    status,
  }
  lastSentSignature = statusSignature(status)
  Streamlit.setComponentValue(value)
}

function paint() {
  const status = running ? running.bridge.getStatus() : null
  const visible = !!args && args.showStatus
  const label = problem
    ? { tone: 'down' as const, text: '🔴 Connection error (' + problem + ')' }
    : describeStatus(status, Date.now(), args && args.fallbackUrl ? DEFAULTS.fallbackInterval : null)
  renderIndicator(indicator, label, visible, theme)
  Streamlit.setFrameHeight(visible ? Math.ceil(document.body.getBoundingClientRect().height) : 0)
  // A retry countdown repaints each second, here in the frame: Python is not bothered.
  const counting = visible && isCountingDown(status)
  if (counting && ticking === undefined) ticking = setInterval(paint, 1000)
  if (!counting && ticking !== undefined) {
    clearInterval(ticking)
    ticking = undefined
  }
}

function sessionStorageOrMemory(): StorageLike {
  try {
    // Reading window.sessionStorage throws where storage is disabled.
    return window.sessionStorage
  } catch {
    return memoryStorage()
  }
}

const identityOf = (a: ComponentArgs) => JSON.stringify([a.url, a.room, a.fallbackUrl, a.maxMessages])

function stop() {
  if (!running) return
  running.bridge.close()
  running.ledger.dispose()
  running = null
}

function start(a: ComponentArgs) {
  stop()
  problem = null
  const ledger = createLedger(sessionStorageOrMemory(), a.room)
  let bridge: Bridge
  try {
    bridge = connect({
      url: a.url,
      room: a.room,
      fallbackUrl: a.fallbackUrl,
      maxMessages: a.maxMessages,
      debugWindow: debugWindow(window),
    })
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err)
    console.error(problem)
    return
  }
  running = { bridge, ledger, identity: identityOf(a) }
  bridge.on('message', (message) => {
    if (ledger.add(message)) coalescer.mark()
  })
  bridge.on('reset', (reset) => {
    ledger.reset(reset)
    coalescer.mark()
  })
  bridge.on('status', (status) => {
    paint()
    if (statusSignature(status) !== lastSentSignature) coalescer.mark()
  })
  // The first send tells Python the status and hands over whatever a previous frame left unacknowledged.
  coalescer.mark()
}

function render(data: RenderData) {
  const next = readArgs(data.args)
  theme = data.theme
  args = next
  if (!next.url || !next.room) {
    stop()
    problem = 'the component needs url and room'
  } else if (!running || running.identity !== identityOf(next)) {
    start(next)
  }
  if (running) running.ledger.acknowledge(next.ackTab, next.ack)
  coalescer.setInterval(next.throttleMs)
  paint()
  // Values sent before the first render would be dropped by Streamlit.
  coalescer.ready()
}

Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, (event) => render((event as CustomEvent<RenderData>).detail))
window.addEventListener('pagehide', (event) => {
  if (running) running.ledger.flush()
  // Removed from the app (not merely put in the back-forward cache): close the socket and leave _wsDebug.
  if (event.persisted) return
  coalescer.dispose()
  stop()
})
Streamlit.setComponentReady()
