// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WsDebug } from '../src/bridge/debug'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
const opened: Recorded[] = []
const debug = () => (window as unknown as { _wsDebug?: WsDebug })._wsDebug

function open(options: Parameters<typeof startBridge>[0]) {
  const recorded = startBridge(options)
  opened.push(recorded)
  return recorded
}

beforeEach(async () => {
  server = await new EventServer().start()
})

afterEach(async () => {
  for (const r of opened.splice(0)) r.bridge.close()
  sessionStorage.clear()
  await server.stop()
})

const SECRET = 'sekrit-token-value'

/** Every string reachable from `root` through own properties (getters read), arrays and nested objects. */
function reachableStrings(root: unknown): string[] {
  const found: string[] = []
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string') found.push(value)
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return
    seen.add(value)
    for (const key of Reflect.ownKeys(value)) {
      let child: unknown
      try {
        child = (value as Record<PropertyKey, unknown>)[key]
      } catch {
        continue
      }
      visit(child, depth + 1)
    }
  }
  visit(root, 0)
  return found
}

describe('window._wsDebug', () => {
  it('offers the documented console commands', async () => {
    open({ url: server.url + '/ws/r1/p1?token=secret' })
    await server.until(() => server.open.length === 1)
    await eventually(() => debug()?.ws?.readyState === 1)
    server.emit({ text: 'hello' })
    await eventually(() => debug()?.getMessages().length === 1)
    expect(debug()?.getStatus()).toMatchObject({ state: 'connected', room: 'r1', url: server.url + '/ws/r1/p1?token=***' })
    debug()?.reconnect()
    await server.until(() => server.connections.length === 2 && server.open.length === 1)
  })

  it('sends and clears from the console', async () => {
    open({ url: server.url })
    await eventually(() => debug()?.ws?.readyState === 1)
    expect(debug()?.send({ type: 'message', text: 'from console' })).toBe('sent')
    await server.until(() => server.connections[0].received.length === 1)
    server.emit()
    await eventually(() => debug()?.getMessages().length === 1)
    debug()?.clear()
    expect(debug()?.getMessages()).toEqual([])
  })

  it('acts on the most recent bridge and lists all by room', async () => {
    const a = open({ url: server.url, room: 'a' })
    const b = open({ url: server.url, room: 'b' })
    expect(debug()?.getStatus()?.room).toBe('b')
    expect(Object.keys(debug()?.bridges || {})).toEqual(['a', 'b'])
    expect(debug()?.bridges.a.getStatus().room).toBe('a')
    b.bridge.close()
    expect(debug()?.getStatus()?.room).toBe('a')
    a.bridge.close()
    expect(debug()).toBeUndefined()
  })

  it('shows each socket as a view: live readyState, URL with the token masked, no socket methods', async () => {
    const a = open({ url: server.url + '/ws/a?token=' + SECRET, room: 'a' })
    open({ url: server.url + '/ws/b?token=' + SECRET, room: 'b' })
    await server.until(() => server.open.length === 2)
    await eventually(() => debug()?.ws?.readyState === 1 && debug()?.bridges.a.ws?.readyState === 1)
    expect(debug()?.ws?.url).toBe(server.url + '/ws/b?token=***')
    expect(debug()?.bridges.a.ws?.url).toBe(server.url + '/ws/a?token=***')
    expect('send' in (debug()?.ws || {})).toBe(false)
    const view = debug()?.bridges.a.ws
    a.bridge.reconnect()
    // The view reads the state of its socket when asked.
    await eventually(() => view?.readyState === 3)
    expect(a.bridge.ws?.url).toContain(SECRET)
  })

  it('leaves no token reachable from _wsDebug or in sessionStorage, polls included', async () => {
    const live = open({ url: server.url + '/ws/live?token=' + SECRET, room: 'live', storage: 'session' })
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => live.messages.length === 1)
    // A second room whose socket cannot open polls with a token; its polls fail and report.
    const polling = open({
      url: 'ws://127.0.0.1:1/ws?token=' + SECRET,
      room: 'polling',
      storage: 'session',
      retryDelay: 10,
      fallbackUrl: async () => 'http://127.0.0.1:1/rooms/polling/events?token=' + SECRET + '&client=ann',
      fallbackInterval: 10,
    })
    await eventually(() => polling.errors.filter((e) => e.kind === 'fallback').length >= 2 && polling.bridge.getStatus().transport === 'polling')
    await eventually(() => debug()?.bridges.live.ws?.readyState === 1)
    const strings = reachableStrings(debug())
    expect(strings).toContain(server.url + '/ws/live?token=***')
    expect(strings.filter((text) => text.includes(SECRET))).toEqual([])
    const stored = JSON.stringify(Object.fromEntries(Object.keys(sessionStorage).map((key) => [key, sessionStorage.getItem(key)])))
    expect(stored).toContain('ws_status_polling')
    expect(stored).not.toContain(SECRET)
    expect(JSON.stringify([live.errors, polling.errors])).not.toContain(SECRET)
  })

  it('is not set with debug: false', () => {
    open({ url: server.url, debug: false })
    expect(debug()).toBeUndefined()
  })

  it('can be set on another window, as the Streamlit frame sets its parent’s', () => {
    const parent = {} as Window & { _wsDebug?: WsDebug }
    open({ url: server.url, debugWindow: parent })
    expect(parent._wsDebug?.getStatus()?.room).toBe('r1')
    expect(debug()).toBeUndefined()
  })
})
