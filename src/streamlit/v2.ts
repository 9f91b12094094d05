// Entry of the frameless component (Streamlit Components v2): an ES module that
// Streamlit imports into the app's own page, once per tab, and whose default
// export it calls on mount and again, on the same element, whenever `data`
// (the args, with the ack) changes. Module state therefore lives as long as
// the tab: one bridge per room in the page, shared by every ws_bridge()
// element of that room and kept across reruns. No streamlit-component-lib and
// no apache-arrow here: the iframe path (component.ts) keeps those.
import { renderIndicator } from './indicator'
import { type ComponentArgs, readArgs } from './protocol'
import { createTicker, identityOf, labelOf, openRoom, type Room } from './room'

/** What Streamlit passes the default export (the part this component uses). */
export interface V2Component {
  data: unknown
  parentElement: HTMLElement | ShadowRoot
  setStateValue(name: string, value: unknown): void
}

/** The state key whose value carries the ComponentValue to Python. */
const STATE_KEY = 'frame'

interface Mount {
  readonly indicator: HTMLElement
  setState: (name: string, value: unknown) => void
  args: ComponentArgs
  entry: Entry | null
  problem: string | null
}

interface Entry {
  readonly room: Room
  readonly mounts: Set<Mount>
  readonly tick: (room: Room | null, visible: boolean) => void
}

const entries = new Map<string, Entry>()
const mounts = new WeakMap<object, Mount>()
let listening = false

function paint(mount: Mount) {
  const room = mount.entry ? mount.entry.room : null
  renderIndicator(mount.indicator, labelOf(mount.problem, room, mount.args), mount.args.showStatus)
}

function paintAll(entry: Entry) {
  let visible = false
  for (const mount of entry.mounts) {
    paint(mount)
    visible = visible || mount.args.showStatus
  }
  entry.tick(entry.room, visible)
}

function send(entry: Entry) {
  const value = entry.room.value()
  // Every element of the room gets it; calls of one task make one rerun.
  for (const mount of entry.mounts) mount.setState(STATE_KEY, value)
}

function entryFor(a: ComponentArgs): Entry {
  const identity = identityOf(a)
  const known = entries.get(identity)
  if (known) return known
  let entry: Entry | null = null
  const room = openRoom(a, {
    send: () => entry && send(entry),
    paint: () => entry && paintAll(entry),
    debugWindow: window,
  })
  entry = { room, mounts: new Set(), tick: createTicker(() => entry && paintAll(entry)) }
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
  entry.room.close()
  entries.delete(entry.room.identity)
}

function attach(mount: Mount, a: ComponentArgs) {
  mount.args = a
  if (!a.url || !a.room) {
    detach(mount)
    mount.problem = 'the component needs url and room'
    return
  }
  if (mount.entry && mount.entry.room.identity === identityOf(a)) return
  detach(mount)
  mount.problem = null
  try {
    mount.entry = entryFor(a)
    mount.entry.mounts.add(mount)
  } catch (err) {
    mount.problem = err instanceof Error ? err.message : String(err)
    console.error(mount.problem)
  }
}

function newIndicator(parent: HTMLElement | ShadowRoot): HTMLElement {
  const element = document.createElement('div')
  element.setAttribute('role', 'status')
  element.setAttribute('aria-live', 'polite')
  element.className = 'ws-bridge-status'
  // The theme reaches the page as --st-* custom properties, which inherit into the shadow root.
  element.style.cssText =
    'color:var(--st-text-color);font-family:var(--st-font);font-size:var(--st-base-font-size,1rem);line-height:1.6;' +
    'white-space:nowrap;overflow:hidden;text-overflow:ellipsis'
  parent.appendChild(element)
  return element
}

function listen() {
  if (listening) return
  listening = true
  // Numbers Python may have seen must be in storage before the page goes.
  window.addEventListener('pagehide', () => {
    for (const entry of entries.values()) entry.room.ledger.flush()
  })
}

/** Called by Streamlit on mount and on each change of `data`; the returned cleanup runs on unmount. */
export default function wsBridge(component: V2Component): () => void {
  listen()
  const a = readArgs(component.data)
  const parent = component.parentElement
  let mount = mounts.get(parent)
  if (!mount) {
    mount = { indicator: newIndicator(parent), setState: component.setStateValue, args: a, entry: null, problem: null }
    mounts.set(parent, mount)
  }
  const current = mount
  current.setState = component.setStateValue
  attach(current, a)
  const entry = current.entry
  if (entry) {
    entry.room.ledger.acknowledge(a.ackTab, a.ack)
    entry.room.coalescer.setInterval(a.throttleMs)
    // The element can take a value now; the first send hands over what an earlier page left.
    entry.room.coalescer.ready()
    paintAll(entry)
  } else {
    paint(current)
  }
  return () => {
    if (mounts.get(parent) !== current) return
    mounts.delete(parent)
    detach(current)
    current.indicator.remove()
  }
}
