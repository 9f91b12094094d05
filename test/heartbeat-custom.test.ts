// Custom pingMessage and isPong against a real ws server that speaks its own
// heartbeat: the bridge sends the configured ping, consumes exactly what isPong
// accepts, and enforces the timeout once such a pong came. Fake clock, real sockets.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Message } from '../src/bridge/options'
import { type Recorded, startBridge } from './helpers/bridge'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer } from './helpers/ws-server'

const PING = 'PING'
const PONG = '{"op":"pong"}'
const isPong = (message: Message) => message.op === 'pong'

let server: EventServer | undefined
let current: Recorded | undefined
let answering = true

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  vi.useRealTimers()
  await server?.stop()
  server = undefined
})

/** Makes every connection answer PING with PONG (while `answering`). */
function answerCustomPings(s: EventServer) {
  const hooked = new Set<unknown>()
  return () => {
    for (const connection of s.connections) {
      if (hooked.has(connection)) continue
      hooked.add(connection)
      connection.socket.on('message', (data) => {
        if (answering && String(data) === PING) connection.socket.send(PONG)
      })
    }
    return true
  }
}

describe('custom pingMessage and isPong', () => {
  it('sends the custom ping, consumes the custom pong, delivers the default pong shape as a message, and finds a half-open link by the custom pong', async () => {
    useFakeClock()
    answering = true
    server = await new EventServer().start()
    const s = server
    const hook = answerCustomPings(s)
    const recorded = (current = startBridge({ url: s.url, pingMessage: PING, isPong, heartbeatInterval: 1000, heartbeatTimeout: 500, retryDelay: 100 }))
    await settle(() => hook() && s.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
    let pongsIn = 0
    recorded.bridge.ws?.addEventListener('message', (event) => {
      if ((event as MessageEvent).data === PONG) pongsIn++
    })
    for (let i = 1; i <= 3; i++) {
      vi.advanceTimersByTime(1000)
      await settle(() => pongsIn === i, 'pong ' + i)
    }
    expect(s.connections[0].received).toEqual([PING, PING, PING])
    // The default pong shape is only a message now: isPong replaced the default.
    s.broadcast('{"type":"pong","id":"p1"}')
    s.emit()
    await settle(() => recorded.messages.length === 2, 'two messages')
    expect(recorded.messages.map((m) => m.id)).toEqual(['p1', 'e1'])
    expect(recorded.bridge.getStatus().counters).toMatchObject({ received: 2, stored: 2, invalid: 0 })

    // The custom pongs proved the server answers: silence after a ping now kills the link.
    answering = false
    vi.advanceTimersByTime(1000)
    await settle(() => s.connections[0].received.length === 4, 'the unanswered ping')
    vi.advanceTimersByTime(499)
    await drain()
    expect(s.connections).toHaveLength(1)
    vi.advanceTimersByTime(1)
    // The reconnect is a zero-delay timer set inside the deadline's timer: it runs 1 ms later.
    vi.advanceTimersByTime(1)
    await settle(() => s.connections.length === 2, 'the reconnect')
    expect(recorded.errors.map((e) => e.kind)).toEqual(['heartbeat'])
  })

  it('never enforces the timeout when only default pongs come back: they are not pongs to a custom isPong', async () => {
    useFakeClock()
    server = await new EventServer({ answerPings: true }).start()
    const s = server
    const recorded = (current = startBridge({ url: s.url, isPong, heartbeatInterval: 1000, heartbeatTimeout: 500 }))
    await settle(() => s.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
    for (let i = 1; i <= 3; i++) {
      vi.advanceTimersByTime(1000)
      await settle(() => recorded.messages.length === i, 'the answer to ping ' + i + ' delivered as a message')
    }
    // The server now stays silent after pings: with no pong ever recognised, this is a plain server.
    s.options.answerPings = false
    vi.advanceTimersByTime(10 * 1000)
    await drain()
    expect(s.connections).toHaveLength(1)
    expect(recorded.errors).toEqual([])
    expect(recorded.messages.map((m) => m.type)).toEqual(['pong', 'pong', 'pong'])
  })
})
