// Entry of the Streamlit component frame (Components v1): the only code that
// imports streamlit-component-lib. One bridge per frame; the frame lives as
// long as the component stays in the app, whatever the number of reruns.
import { Streamlit, type RenderData } from 'streamlit-component-lib/dist/streamlit'
import { identityOf } from '../delivery/batch'
import { createTicker, type Delivery, labelOf, openDelivery } from '../delivery/delivery'
import { type IndicatorTheme, renderIndicator } from '../delivery/indicator'
import { type ComponentArgs, readArgs } from './protocol'
import { debugWindow } from './top-window'

const indicator = document.getElementById('status') as HTMLElement
let running: Delivery | null = null
let args: ComponentArgs | null = null
let theme: IndicatorTheme | undefined
let problem: string | null = null

const tick = createTicker(paint)

function paint() {
  const visible = !!args && args.showStatus
  renderIndicator(indicator, labelOf(problem, running, args), visible, theme)
  Streamlit.setFrameHeight(visible ? Math.ceil(document.body.getBoundingClientRect().height) : 0)
  tick(running, visible)
}

function stop() {
  if (!running) return
  running.close()
  running = null
}

function start(a: ComponentArgs) {
  stop()
  problem = null
  try {
    // Streamlit keeps the latest component value only; each batch holds everything unacknowledged.
    running = openDelivery(a, { deliver: (value) => Streamlit.setComponentValue(value), paint, debugWindow: debugWindow(window), replaces: true })
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err)
    console.error(problem)
  }
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
  if (running) {
    running.acknowledge(next.ackTab, next.ack)
    running.setInterval(next.throttleMs)
    // Values sent before the first render would be dropped by Streamlit.
    running.ready()
  }
  paint()
}

Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, (event) => render((event as CustomEvent<RenderData>).detail))
window.addEventListener('pagehide', (event) => {
  if (running) running.ledger.flush()
  // Removed from the app (not merely put in the back-forward cache): close the socket and leave _wsDebug.
  if (event.persisted) return
  stop()
})
Streamlit.setComponentReady()
