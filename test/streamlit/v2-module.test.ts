// @vitest-environment jsdom
// The frameless component's page module (src/streamlit/v2.ts) as Streamlit
// calls it: its default export on mount, again on the same element when
// `data` changes, and the last returned cleanup on unmount. A real ws server;
// jsdom stands in for the app's page, setStateValue for Streamlit.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ComponentValue } from '../../src/streamlit/protocol'
import wsBridge from '../../src/streamlit/v2'
import { NodeWebSocket } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer
const cleanups: Array<() => void> = []

beforeAll(() => {
  // The page's WebSocket: jsdom's global one is Node's, whose events jsdom rejects.
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
})

beforeEach(async () => {
  server = await new EventServer().start()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
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
        expect(name).toBe('frame')
        values.push(value as ComponentValue)
      },
    })
    cleanups.push(cleanup)
    return cleanup
  }
  return { parent, values, call, last: () => values[values.length - 1] }
}

const args = (room: string) => ({ url: server.url + '/ws/' + room, room, throttle_ms: 0, show_status: true })
const ids = (value: ComponentValue | undefined) => (value ? value.events.map((entry) => ('event' in entry ? entry.event.id : 'reset')) : [])

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
    cleanupA()
    expect(a.parent.querySelector('[role=status]')).toBeNull()
    expect(server.open).toHaveLength(1)
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
})
