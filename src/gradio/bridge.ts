// Entry of the Gradio component (gradio_component/ws_bridge_gradio: a gr.HTML subclass). Gradio 6
// runs a gr.HTML's js_on_load as a function body, `Function('element', 'trigger', 'props', 'server',
// …)`, on each mount; this bundle is that body's first part, run once per page, and leaves one
// global that every mount calls. Batches go to Python through the component's server function
// (a POST to /gradio_api/component_server, outside the event queue, so neither merged like
// `.change` nor dropped like trigger_mode="once"), and its return value is the acknowledgement.
// One bridge per room in the page, shared by every WsBridge of that room (a gr.render that runs
// again replaces its components: the newest one still in the page takes the batches).
import { type Batch, type HostOptions, identityOf, readOptions } from '../delivery/batch'
import { createTicker, type Delivery, labelOf, openDelivery } from '../delivery/delivery'
import { mountIndicator, renderIndicator } from '../delivery/indicator'
import { errorText } from '../warn'

/** The component's server functions as js_on_load's `server` exposes them (gradio/components/html.py). */
export interface GradioServer {
  wsb_batch(batch: Batch): Promise<unknown>
}

/** js_on_load's `trigger`: fires the component's event of that name (a listener the app set with .change). */
export type Trigger = (event: string, data?: unknown) => void

/** The global the Python side's js_on_load calls, after running this bundle once per page. */
export const GLOBAL_NAME = '__wsBridgeGradio'

interface Mount {
  readonly element: HTMLElement
  readonly indicator: HTMLElement
  readonly options: HostOptions
  readonly server: GradioServer
  readonly trigger: Trigger
}

interface Entry {
  readonly delivery: Delivery
  readonly mounts: Mount[]
  readonly tick: (delivery: Delivery | null, visible: boolean) => void
  /** The wait before sending again after a call that brought no acknowledgement, in ms. */
  backoff: number
  retry: ReturnType<typeof setTimeout> | null
}

/** A failed call is sent again after 0.5 s, doubling up to 10 s: a Gradio server that restarts is not hammered. */
const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 10000

const entries = new Map<string, Entry>()

/** Mounts still in the page, oldest first; a gr.render run again or a removed column leaves none of its own. */
const live = (entry: Entry): Mount[] => entry.mounts.filter((mount) => mount.element.isConnected)

function paintAll(entry: Entry) {
  let visible = false
  for (const mount of live(entry)) {
    renderIndicator(mount.indicator, labelOf(null, entry.delivery, mount.options), mount.options.showStatus)
    visible = visible || mount.options.showStatus
  }
  entry.tick(entry.delivery, visible)
}

function close(entry: Entry) {
  if (entry.retry !== null) clearTimeout(entry.retry)
  entry.tick(null, false)
  entry.delivery.close()
  entries.delete(entry.delivery.identity)
}

function retryLater(entry: Entry) {
  if (entry.retry !== null) return
  entry.retry = setTimeout(() => {
    entry.retry = null
    entry.delivery.resend()
  }, entry.backoff)
  entry.backoff = Math.min(MAX_RETRY_MS, entry.backoff * 2)
}

/** Python's answer: {tab, seq}. Anything else (Gradio gives undefined for a failed call) sends again later. */
function onAnswer(entry: Entry, mount: Mount, answer: unknown) {
  const ack = answer as { tab?: unknown; seq?: unknown } | null | undefined
  if (!ack || typeof ack.tab !== 'string' || typeof ack.seq !== 'number' || !Number.isInteger(ack.seq)) return retryLater(entry)
  entry.backoff = FIRST_RETRY_MS
  const before = entry.delivery.ledger.ack
  entry.delivery.acknowledge(ack.tab, ack.seq)
  // Python has new events: the app's .change listener (if any) may show them. That event may be
  // merged or dropped by Gradio's queue, which costs nothing: the events already reached Python.
  if (entry.delivery.ledger.ack > before) mount.trigger('change')
}

function deliver(entry: Entry, batch: Batch) {
  const mounts = live(entry)
  // Every WsBridge of the room left the page: its socket closes (a new one reconnects and resends).
  if (mounts.length === 0) return close(entry)
  const mount = mounts[mounts.length - 1]
  mount.server.wsb_batch(batch).then((answer) => onAnswer(entry, mount, answer), () => retryLater(entry))
}

function entryFor(options: HostOptions): Entry {
  const identity = identityOf(options)
  const known = entries.get(identity)
  if (known) return known
  let entry: Entry | null = null
  const delivery = openDelivery(options, {
    deliver: (batch) => entry && deliver(entry, batch),
    paint: () => entry && paintAll(entry),
    debugWindow: window,
  })
  entry = { delivery, mounts: [], tick: createTicker(() => entry && paintAll(entry)), backoff: FIRST_RETRY_MS, retry: null }
  entries.set(identity, entry)
  return entry
}

/** What js_on_load calls on each mount of a WsBridge: `props` holds the options Python passed. */
export function mount(element: HTMLElement, props: unknown, server: GradioServer, trigger: Trigger): void {
  const options = readOptions(props)
  // Gradio's theme reaches the page as --body-text-color and --font custom properties.
  const indicator = mountIndicator(element, 'color:var(--body-text-color);font-family:var(--font)')
  let entry: Entry
  try {
    if (!options.url || !options.room) throw new Error('the component needs url and room')
    if (!server || typeof server.wsb_batch !== 'function') throw new Error('the component has no wsb_batch server function')
    entry = entryFor(options)
  } catch (err) {
    const problem = errorText(err)
    console.error(problem)
    renderIndicator(indicator, labelOf(problem, null, options), true)
    return
  }
  const stale = entry.mounts.filter((other) => !other.element.isConnected)
  for (const gone of stale) entry.mounts.splice(entry.mounts.indexOf(gone), 1)
  entry.mounts.push({ element, indicator, options, server, trigger })
  // A new component for the room (a new Gradio session after a reload of its render): it takes the
  // batches, starting with what is unacknowledged; the batch in flight may have gone to one that left.
  if (stale.length > 0) entry.delivery.resend()
  entry.delivery.ready()
  paintAll(entry)
}
