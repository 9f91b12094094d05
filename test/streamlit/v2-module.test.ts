// @vitest-environment jsdom
// The frameless component's page module (src/streamlit/v2.ts) as Streamlit
// calls it: its default export on mount, again on the same element when
// `data` changes, and the last returned cleanup on unmount (after React took
// the element out of the page), or at once for a call it had cancelled. A real
// ws server; jsdom stands in for the app's page, setStateValue for Streamlit.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ComponentValue } from '../../src/streamlit/protocol'
import wsBridge, { SUPERSEDED_CLEANUP_GRACE_MS } from '../../src/streamlit/v2'
import { NodeWebSocket } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer
const cleanups: Array<{ parent: HTMLElement; cleanup: () => void }> = []

beforeAll(() => {
  // The page's WebSocket: jsdom's global one is Node's, whose events jsdom rejects.
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
})

beforeEach(async () => {
  server = await new EventServer().start()
})

afterEach(async () => {
  vi.useRealTimers()
  // Unmounted as React does it: the element leaves the page, then the cleanup runs.
  for (const { parent, cleanup } of cleanups.splice(0)) {
    parent.remove()
    cleanup()
  }
  await server.stop()
})

/** One element of the page: what Streamlit would pass, and what the module stored in its state. */
function element() {
  const parent = document.body.appendChild(document.createElement('div'))
  const values: ComponentValue[] = []
  const call = (data: object) => {
    const cleanup = wsBridge({
      data,
      parentElement: parent,
      setStateValue: (name, value) => {
        expect(name).toBe('value')
        values.push(value as ComponentValue)
      },
    })
    cleanups.push({ parent, cleanup })
    return cleanup
  }
  return { parent, values, call, last: () => values[values.length - 1] }
}

const args = (room: string) => ({ url: server.url + '/ws/' + room, room, throttle_ms: 0, show_status: true })
const ids = (value: ComponentValue | undefined) => (value ? value.events.map((entry) => ('event' in entry ? entry.event.id : 'reset')) : [])

/** An element of `room` after its first call, once the room's socket is open. */
async function connected(room: string) {
  const a = element()
  const cleanup = a.call(args(room))
  await server.until(() => server.open.length === 1)
  return { a, cleanup }
}

/** The element still gets new events, on the room's first and only socket, with its one indicator. */
async function expectStillServed(a: ReturnType<typeof element>, what: string) {
  const event = server.emit()
  await eventually(() => ids(a.last()).includes(event.id), what)
  expect(server.connections).toHaveLength(1)
  expect(server.open).toHaveLength(1)
  expect(a.parent.querySelectorAll('[role=status]')).toHaveLength(1)
}

describe('the v2 page module', () => {
  it('gives two elements of one room one socket, stores each event in both, and closes the socket with the last cleanup', async () => {
    const a = element()
    const b = element()
    const cleanupA = a.call(args('shared'))
    const cleanupB = b.call(args('shared'))
    await server.until(() => server.open.length === 1)
    const event = server.emit({ text: 'hi' })
    await eventually(() => ids(a.last()).includes(event.id) && ids(b.last()).includes(event.id), 'the event in both elements')
    expect(server.connections).toHaveLength(1)
    expect(a.parent.querySelector('[role=status]')?.textContent).toBe('🟢 Connected')
    a.parent.remove()
    cleanupA()
    expect(a.parent.querySelector('[role=status]')).toBeNull()
    expect(server.open).toHaveLength(1)
    b.parent.remove()
    cleanupB()
    await server.until(() => server.open.length === 0)
  })

  it('takes the ack from data when called again on the same element: no reconnect, and only newer events are sent after it', async () => {
    const a = element()
    a.call(args('acked'))
    await server.until(() => server.open.length === 1)
    const [first, second] = [server.emit(), server.emit()]
    await eventually(() => ids(a.last()).length === 2, 'two events stored')
    expect(ids(a.last())).toEqual([first.id, second.id])
    const tab = a.last()?.tab
    a.call({ ...args('acked'), ack_tab: tab, ack: 2 })
    const stored = () => JSON.parse(sessionStorage.getItem('ws_component_acked') || '{}') as { tab?: string; ack?: number; pending?: unknown[] }
    // Written with the ledger's next (deferred) write; the acknowledged events leave it.
    await eventually(() => stored().ack === 2, 'the ack in sessionStorage')
    expect(stored()).toMatchObject({ tab, ack: 2, pending: [] })
    const third = server.emit()
    await eventually(() => ids(a.last()).includes(third.id), 'the third event stored')
    expect(a.last()).toMatchObject({ tab, baseSeq: 2, lastSeq: 3 })
    expect(ids(a.last())).toEqual([third.id])
    expect(server.connections).toHaveLength(1)
    // One indicator per element, however often it is called.
    expect(a.parent.querySelectorAll('[role=status]')).toHaveLength(1)
  })

  it('keeps the socket when Streamlit calls the cleanup of a call it cancelled after the call that replaced it', async () => {
    const { a, cleanup: cancelled } = await connected('superseded')
    a.call({ ...args('superseded'), ack: 0 })
    cancelled()
    await expectStillServed(a, 'an event after the stale cleanup')
  })

  it('keeps the socket when that stale cleanup comes first, while the element is still in the page, and the next call follows', async () => {
    const { a, cleanup: cancelled } = await connected('early-cleanup')
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    cancelled()
    a.call({ ...args('early-cleanup'), ack: 0 })
    vi.advanceTimersByTime(SUPERSEDED_CLEANUP_GRACE_MS * 2)
    vi.useRealTimers()
    await expectStillServed(a, 'an event after the early cleanup')
  })

  it('closes the socket when a cleanup comes while the element is still in the page and no call follows within the grace', async () => {
    const { a, cleanup } = await connected('no-next-call')
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    cleanup()
    expect(a.parent.querySelectorAll('[role=status]')).toHaveLength(1)
    vi.advanceTimersByTime(SUPERSEDED_CLEANUP_GRACE_MS)
    vi.useRealTimers()
    expect(a.parent.querySelector('[role=status]')).toBeNull()
    await server.until(() => server.open.length === 0)
  })

  it('opens nothing for a call on an element already out of the page (a load that finished after the unmount)', async () => {
    const a = element()
    a.parent.remove()
    a.call(args('gone'))
    expect(a.parent.querySelector('[role=status]')).toBeNull()
    // The room was not opened for it: an element in the page opens it, once.
    const b = element()
    b.call(args('gone'))
    await server.until(() => server.open.length === 1)
    expect(server.connections).toHaveLength(1)
  })
})
