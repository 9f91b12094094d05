// Entry of the frameless component (Streamlit Components v2): an ES module that
// Streamlit imports into the app's own page, once per tab, and whose default
// export it calls on mount and again, on the same element, whenever `data`
// (the args, with the ack) changes. Module state therefore lives as long as
// the tab: one bridge per room in the page, shared by every ws_bridge()
// element of that room and kept across reruns. No streamlit-component-lib and
// no apache-arrow here: the iframe path (component.ts) keeps those.
import { identityOf } from '../delivery/batch'
import { createTicker, type Delivery, labelOf, openDelivery } from '../delivery/delivery'
import { mountIndicator, renderIndicator } from '../delivery/indicator'
import { type ComponentArgs, type ComponentValue, readArgs } from './protocol'
import { errorText } from '../warn'

/** What Streamlit passes the default export (the part this component uses). */
export interface V2Component {
  data: unknown
  parentElement: HTMLElement | ShadowRoot
  setStateValue(name: string, value: unknown): void
}

/** The state key whose value carries the ComponentValue to Python. */
const STATE_KEY = 'value'

interface Mount {
  readonly indicator: HTMLElement
  setState: (name: string, value: unknown) => void
  args: ComponentArgs
  entry: Entry | null
  problem: string | null
  /** Streamlit's calls on this element so far: a cleanup acts only for the latest one. */
  calls: number
  /** A cleanup that came while the element was still in the page, waiting for the next call. */
  unmountTimer: ReturnType<typeof setTimeout> | null
}

/**
 * How long a cleanup that arrives while its element is still in the page waits for Streamlit's
 * next call on that element before it closes the room anyway. Streamlit loads the module for
 * each `data` change asynchronously; when `data` changes again before the load finishes, it
 * still calls the default export for the cancelled change and then that call's cleanup at once,
 * although the element stays mounted and the call for the newest `data` follows. A real unmount
 * takes the element out of the page first, and is torn down at once.
 */
export const SUPERSEDED_CLEANUP_GRACE_MS = 2000

interface Entry {
  readonly delivery: Delivery
  readonly mounts: Set<Mount>
  readonly tick: (room: Delivery | null, visible: boolean) => void
}

const entries = new Map<string, Entry>()
const mounts = new WeakMap<object, Mount>()

function paint(mount: Mount) {
  const room = mount.entry ? mount.entry.delivery : null
  renderIndicator(mount.indicator, labelOf(mount.problem, room, mount.args), mount.args.showStatus)
}

function paintAll(entry: Entry) {
  let visible = false
  for (const mount of entry.mounts) {
    paint(mount)
    visible = visible || mount.args.showStatus
  }
  entry.tick(entry.delivery, visible)
}

function send(entry: Entry, value: ComponentValue) {
  // Every element of the room gets it; calls of one task make one rerun.
  for (const mount of entry.mounts) mount.setState(STATE_KEY, value)
}

function entryFor(a: ComponentArgs): Entry {
  const identity = identityOf(a)
  const known = entries.get(identity)
  if (known) return known
  let entry: Entry | null = null
  const delivery = openDelivery(a, {
    deliver: (value) => entry && send(entry, value),
    paint: () => entry && paintAll(entry),
    debugWindow: window,
    // The element's state value keeps the latest batch only; each batch holds everything unacknowledged.
    replaces: true,
  })
  entry = { delivery, mounts: new Set(), tick: createTicker(() => entry && paintAll(entry)) }
  entries.set(identity, entry)
  return entry
}

function detach(mount: Mount) {
  const entry = mount.entry
  mount.entry = null
  if (!entry) return
  entry.mounts.delete(mount)
  if (entry.mounts.size > 0) return
  // The room's last element went away: close its socket (a remount reconnects and replays).
  entry.tick(null, false)
  entry.delivery.close()
  entries.delete(entry.delivery.identity)
}

function attach(mount: Mount, a: ComponentArgs) {
  mount.args = a
  if (!a.url || !a.room) {
    detach(mount)
    mount.problem = 'the component needs url and room'
    return
  }
  if (mount.entry && mount.entry.delivery.identity === identityOf(a)) return
  detach(mount)
  mount.problem = null
  try {
    mount.entry = entryFor(a)
    mount.entry.mounts.add(mount)
  } catch (err) {
    mount.problem = errorText(err)
    console.error(mount.problem)
  }
}

// The theme reaches the page as --st-* custom properties, which inherit into the shadow root.
const LOOK = 'color:var(--st-text-color);font-family:var(--st-font);font-size:var(--st-base-font-size,1rem)'

function cancelUnmount(mount: Mount) {
  if (mount.unmountTimer !== null) clearTimeout(mount.unmountTimer)
  mount.unmountTimer = null
}

function unmount(mount: Mount, parent: HTMLElement | ShadowRoot) {
  cancelUnmount(mount)
  if (mounts.get(parent) !== mount) return
  mounts.delete(parent)
  detach(mount)
  mount.indicator.remove()
}

/**
 * Called by Streamlit on mount and on each change of `data`. Streamlit runs the returned cleanup
 * on unmount, and also (Streamlit 1.67's BidiComponent) right away for a call whose `data` was
 * replaced while the module loaded: only the first ends the room's use by this element.
 */
export default function wsBridge(component: V2Component): () => void {
  const parent = component.parentElement
  // A load that finished after its element was unmounted: Streamlit calls its cleanup at once.
  if (!parent.isConnected) return () => {}
  const a = readArgs(component.data)
  let mount = mounts.get(parent)
  if (!mount) {
    mount = { indicator: mountIndicator(parent, LOOK), setState: component.setStateValue, args: a, entry: null, problem: null, calls: 0, unmountTimer: null }
    mounts.set(parent, mount)
  }
  const current = mount
  const call = ++current.calls
  cancelUnmount(current)
  current.setState = component.setStateValue
  attach(current, a)
  const entry = current.entry
  if (entry) {
    entry.delivery.acknowledge(a.ackTab, a.ack)
    entry.delivery.setInterval(a.throttleMs)
    // The element can take a value now; the first send hands over what an earlier page left.
    entry.delivery.ready()
    paintAll(entry)
  } else {
    paint(current)
  }
  return () => {
    // The cleanup of a call that a later call on this element replaced: that one's cleanup counts.
    if (mounts.get(parent) !== current || current.calls !== call) return
    if (!parent.isConnected) return unmount(current, parent)
    // Still in the page: most likely a cancelled call's cleanup (see SUPERSEDED_CLEANUP_GRACE_MS).
    if (current.unmountTimer === null) current.unmountTimer = setTimeout(() => unmount(current, parent), SUPERSEDED_CLEANUP_GRACE_MS)
  }
}
