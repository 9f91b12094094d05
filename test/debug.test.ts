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
  await server.stop()
})

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
