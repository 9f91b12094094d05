// Entry of the anywidget module: Jupyter, JupyterLab, Voilà, marimo and every
// other host that runs anywidget. One bridge per room in the page, shared by
// every view of it (a widget shown in two cells opens one socket). Batches go
// to Python as custom messages, which a host neither merges nor drops, never
// as trait values, which merge; Python acknowledges each with a message back.
// The status is a trait (the last value is all that matters there).
import { identityOf, type HostOptions, readOptions } from '../delivery/batch'
import { createTicker, type Delivery, labelOf, openDelivery } from '../delivery/delivery'
import { mountIndicator, renderIndicator } from '../delivery/indicator'
import { statusSignature } from '../delivery/signature'
import { errorText } from '../warn'

/** The part of anywidget's model this module uses. */
export interface Model {
  get(name: string): unknown
  set(name: string, value: unknown): void
  save_changes(): void
  send(content: unknown): void
  on(event: string, callback: (content: unknown) => void): void
  off(event: string, callback: (content: unknown) => void): void
}

/** The Python traits that carry the options, spelled as every host's wrapper spells them. */
const OPTION_TRAITS = ['url', 'room', 'fallback_url', 'token_url', 'player', 'max_messages', 'throttle_ms', 'show_status']

interface View {
  readonly model: Model
  readonly indicator: HTMLElement
  readonly options: HostOptions
}

interface Entry {
  readonly delivery: Delivery
  readonly views: Set<View>
  readonly tick: (delivery: Delivery | null, visible: boolean) => void
  /** The model batches go to: the newest one with a view (a re-run cell's widget replaces the old one). */
  model: Model
  /** The status signature last written to the model's trait. */
  statusSent: string | null
}

const entries = new Map<string, Entry>()
const listening = new WeakSet<Model>()

const optionsOf = (model: Model): HostOptions => readOptions(Object.fromEntries(OPTION_TRAITS.map((name) => [name, model.get(name)])))

function paintAll(entry: Entry) {
  let visible = false
  for (const view of entry.views) {
    renderIndicator(view.indicator, labelOf(null, entry.delivery, view.options), view.options.showStatus)
    visible = visible || view.options.showStatus
  }
  entry.tick(entry.delivery, visible)
  // The trait follows what matters of the status, as the batches do: counters alone stay in the browser.
  const status = entry.delivery.bridge.getStatus()
  const signature = statusSignature(status)
  if (signature === entry.statusSent) return
  entry.statusSent = signature
  entry.model.set('status', status)
  entry.model.save_changes()
}

/** Python's acknowledgement: {type: "ack", tab, seq}. Anything else from the kernel is not ours. */
function onMessage(content: unknown) {
  const ack = content as { type?: unknown; tab?: unknown; seq?: unknown } | null
  if (!ack || ack.type !== 'ack' || typeof ack.tab !== 'string' || typeof ack.seq !== 'number' || !Number.isInteger(ack.seq)) return
  for (const entry of entries.values()) entry.delivery.acknowledge(ack.tab, ack.seq)
}

function entryFor(options: HostOptions, model: Model): Entry {
  const identity = identityOf(options)
  const known = entries.get(identity)
  if (known) return known
  let entry: Entry | null = null
  const delivery = openDelivery(options, {
    deliver: (batch) => entry && entry.model.send({ type: 'batch', batch }),
    paint: () => entry && paintAll(entry),
    debugWindow: window,
  })
  entry = { delivery, views: new Set(), tick: createTicker(() => entry && paintAll(entry)), model, statusSent: null }
  entries.set(identity, entry)
  return entry
}

function detach(entry: Entry, view: View) {
  entry.views.delete(view)
  if (entry.views.size === 0) {
    // The room's last view went away: close its socket (the next view reconnects and resends what is unacknowledged).
    entry.tick(null, false)
    entry.delivery.close()
    entries.delete(entry.delivery.identity)
    return
  }
  if (entry.model !== view.model || [...entry.views].some((other) => other.model === view.model)) return
  // Its model is gone from the page: the batch in flight may be lost with it.
  entry.model = [...entry.views][entry.views.size - 1].model
  entry.statusSent = null
  entry.delivery.resend()
}

/** anywidget's render: one view of a WsBridge widget. Returns its cleanup. */
function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  const options = optionsOf(model)
  const view: View = { model, indicator: mountIndicator(el, 'font-family:var(--jp-ui-font-family,inherit)'), options }
  if (!listening.has(model)) {
    listening.add(model)
    model.on('msg:custom', onMessage)
  }
  let entry: Entry
  try {
    if (!options.url || !options.room) throw new Error('the widget needs url and room')
    entry = entryFor(options, model)
  } catch (err) {
    const problem = errorText(err)
    console.error(problem)
    renderIndicator(view.indicator, labelOf(problem, null, options), true)
    return () => view.indicator.remove()
  }
  entry.views.add(view)
  if (entry.model !== model) {
    // A new widget for the room (a cell run again): it takes the batches, starting with what is unacknowledged.
    entry.model = model
    entry.statusSent = null
    entry.delivery.resend()
  }
  entry.delivery.ready()
  paintAll(entry)
  return () => {
    view.indicator.remove()
    detach(entry, view)
  }
}

export default { render }
