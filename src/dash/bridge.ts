// Entry of the Dash script (ws_bridge_dash serves it with the app's own scripts):
// two clientside functions the Python side registers, start(options) and ack(ack).
// One bridge per room in the page, whichever components show it. A batch goes to
// Python by writing the component's batch store (dash_clientside.set_props), which
// triggers the Python callback; its output, the ack store, comes back through ack().
// Dash loses values set in quick succession and drops the response of a superseded
// callback run, so exactly one batch is in flight: the next is written only once
// Python acknowledged this one (each carries a number `n` its ack echoes), and one
// whose ack never came is written again after ACK_WAIT_MS (Python hands nothing out twice).
import { identityOf, type HostOptions, readOptions } from '../delivery/batch'
import { createTicker, type Delivery, labelOf, openDelivery } from '../delivery/delivery'
import type { Batch } from '../delivery/batch'
import { renderIndicator } from '../delivery/indicator'
import { errorText } from '../warn'

/** Long enough for a slow callback (writing again while it runs would supersede it and lose its outputs). */
const ACK_WAIT_MS = 15000

interface Entry {
  readonly delivery: Delivery
  readonly tick: (delivery: Delivery | null, visible: boolean) => void
  /** The component the batches go to (its id prefix): the latest one started for the room. */
  id: string
  options: HostOptions
  /** The number of the batch in flight; null when none is. */
  sent: number | null
  /** A batch came due while one was in flight. */
  owed: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

interface DashWindow {
  dash_clientside?: { set_props?(id: string, props: { [name: string]: unknown }): void; no_update?: unknown; [namespace: string]: unknown }
}

const entries = new Map<string, Entry>()
let numbered = 0
let leaving = false

function paint(entry: Entry | null, id: string, options: HostOptions, problem: string | null = null) {
  const element = document.getElementById(id + '-status')
  if (element) renderIndicator(element, labelOf(problem, entry && entry.delivery, options), options.showStatus || !!problem)
  if (entry) entry.tick(entry.delivery, options.showStatus)
}

function write(entry: Entry, batch: Batch) {
  const dash = (window as DashWindow).dash_clientside
  entry.sent = ++numbered
  clearTimeout(entry.timer)
  // A lost write or a dropped response: write again, with a new number.
  entry.timer = setTimeout(() => again(entry), ACK_WAIT_MS)
  if (dash && dash.set_props) dash.set_props(entry.id + '-batch', { data: { n: entry.sent, batch } })
}

function again(entry: Entry) {
  entry.sent = null
  entry.owed = false
  clearTimeout(entry.timer)
  entry.delivery.resend()
}

function entryFor(id: string, options: HostOptions): Entry {
  const known = entries.get(identityOf(options))
  if (known) {
    // Another component for the room (a page of a multi-page app mounted again): it takes the
    // batches, starting with everything unacknowledged, since the old store may be gone with its write.
    known.id = id
    known.options = options
    again(known)
    return known
  }
  let entry: Entry | null = null
  const delivery = openDelivery(options, {
    deliver: (batch) => {
      if (!entry) return
      if (entry.sent !== null) entry.owed = true
      else write(entry, batch)
    },
    paint: () => entry && paint(entry, entry.id, entry.options),
    debugWindow: window,
    replaces: true,
  })
  entry = { delivery, tick: createTicker(() => entry && paint(entry, entry.id, entry.options)), id, options, sent: null, owed: false, timer: undefined }
  entries.set(identityOf(options), entry)
  return entry
}

/**
 * Clientside: the component's options store, {id, url, room, …} as Python wrote it. Its output (the
 * component's title) is there only so that Dash runs it on page load: it stays as it is.
 */
function start(raw: unknown): unknown {
  const given = (typeof raw === 'object' && raw !== null ? raw : {}) as { id?: unknown }
  const id = typeof given.id === 'string' ? given.id : ''
  const options = readOptions(raw)
  if (!leaving) {
    leaving = true
    // Numbers Python may have seen must be in storage before the page goes.
    window.addEventListener('pagehide', () => entries.forEach((entry) => entry.delivery.ledger.flush()))
  }
  try {
    if (!id || !options.url || !options.room) throw new Error('the Dash bridge needs id, url and room')
    const entry = entryFor(id, options)
    entry.delivery.ready()
    paint(entry, id, options)
  } catch (err) {
    const problem = errorText(err)
    console.error(problem)
    paint(null, id, options, problem)
  }
  const dash = (window as DashWindow).dash_clientside
  return dash && dash.no_update
}

/** Clientside: the ack store, {n, tab, seq} as the Python callback returned it. */
function ack(raw: unknown): void {
  const got = raw as { n?: unknown; tab?: unknown; seq?: unknown } | null
  if (!got || typeof got.n !== 'number' || typeof got.tab !== 'string' || typeof got.seq !== 'number' || !Number.isInteger(got.seq)) return
  for (const entry of entries.values()) {
    if (entry.sent !== got.n) continue
    clearTimeout(entry.timer)
    entry.sent = null
    entry.delivery.acknowledge(got.tab, got.seq)
    if (entry.owed) again(entry)
  }
}

// The namespace ClientsideFunction("ws_bridge_dash", …) names; dash_clientside may not exist yet.
const target = window as DashWindow
target.dash_clientside = Object.assign(target.dash_clientside || {}, { ws_bridge_dash: { start, ack } })
