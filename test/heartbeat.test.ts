import { afterEach, describe, expect, it, vi } from 'vitest'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  await server.stop()
})

const pings = (index: number) => server.connections[index].received.filter((f) => f === '{"type":"ping"}').length

describe('heartbeat', () => {
  it('detects a half-open link to a server that answered pings, and reconnects', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 20, heartbeatTimeout: 40, retryDelay: 5 })
    await server.until(() => server.open.length === 1 && pings(0) >= 2)
    // The link goes silent both ways (like a phone switching networks): no pongs, no frames.
    server.options.answerPings = false
    await server.until(() => server.connections.length === 2)
    expect(current.errors.filter((e) => e.kind === 'heartbeat')).toHaveLength(1)
    expect(current.errors[0].message).toBe('no answer to a ping for 40 ms; reconnecting')
    server.options.answerPings = true
    await eventually(() => current?.bridge.getStatus().state === 'connected')
  })

  it('reports the link disconnected the moment the heartbeat declares it dead, not connected until the next attempt', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 20, heartbeatTimeout: 40, retryDelay: 5 })
    await server.until(() => server.open.length === 1 && pings(0) >= 2)
    server.options.answerPings = false
    await server.until(() => server.connections.length === 2)
    const declared = current.statuses.find(([status]) => status.lastError === 'no answer to a ping for 40 ms; reconnecting')
    expect(declared?.[0].state).toBe('disconnected')
    expect(declared?.[1].state).toBe('connected')
  })

  it('detects a link that goes silent after a reconnect, before its first pong, once the server has answered pings', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 20, heartbeatTimeout: 40, retryDelay: 5 })
    await server.until(() => server.open.length === 1 && pings(0) >= 2)
    // The link drops; the next connection goes half-open before it answers any ping (a second network change).
    server.options.answerPings = false
    server.dropAll()
    await server.until(() => server.connections.length === 3 || (server.connections.length === 2 && pings(1) >= 10))
    expect(server.connections).toHaveLength(3)
    expect(current.errors.filter((e) => e.kind === 'heartbeat')).toHaveLength(1)
  })

  it('forgets the pending ping on reconnect(): the old timeout never kills the new attempt', async () => {
    useFakeClock()
    try {
      server = await new EventServer({ answerPings: true }).start()
      let calls = 0
      let release = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const url = async () => (++calls === 1 ? server.url : gate.then(() => server.url))
      const recorded = (current = startBridge({ url, heartbeatInterval: 20, heartbeatTimeout: 40 }))
      await settle(() => server.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
      vi.advanceTimersByTime(20)
      await settle(() => pings(0) === 1, 'the first ping')
      await drain() // its pong arrives: the server answers pings
      server.options.answerPings = false
      vi.advanceTimersByTime(20)
      await settle(() => pings(0) === 2, 'a ping left unanswered')
      recorded.bridge.reconnect() // the next attempt waits for its URL
      vi.advanceTimersByTime(200)
      await drain()
      expect(recorded.errors).toEqual([])
      release()
      await settle(() => server.open.length === 1 && server.connections.length === 2, 'the new connection')
      expect(server.connections).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('polls the fallback URL the moment the heartbeat declares the link dead, not only once the next attempt fails', async () => {
    server = await new EventServer({ answerPings: true }).start()
    let calls = 0
    // The next attempt hangs on its URL (a token fetch on a dead network): it neither opens nor fails.
    const url = async () => (++calls === 1 ? server.url : new Promise<string>(() => {}))
    current = startBridge({ url, heartbeatInterval: 20, heartbeatTimeout: 40, retryDelay: 5, fallbackUrl: server.httpUrl + '/events', fallbackInterval: 60000 })
    await server.until(() => server.open.length === 1 && pings(0) >= 2)
    server.options.answerPings = false
    await server.until(() => server.polls.length === 1)
    expect(calls).toBe(2)
    expect(current.bridge.getStatus()).toMatchObject({ state: 'disconnected', transport: 'polling' })
  })

  it('never reconnects a plain server that ignores pings', async () => {
    server = await new EventServer({ answerPings: false }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 10, heartbeatTimeout: 10 })
    // 25 unanswered pings span far more than interval + timeout.
    await server.until(() => server.connections.length > 0 && pings(0) >= 25)
    expect(server.connections).toHaveLength(1)
    expect(current.bridge.getStatus().state).toBe('connected')
    expect(current.errors).toEqual([])
  })

  it('treats any frame after a ping as a sign of life', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 10, heartbeatTimeout: 30 })
    await server.until(() => server.open.length === 1 && pings(0) >= 1)
    server.options.answerPings = false
    // Ordinary traffic keeps flowing: the link is alive even without pongs.
    for (let i = 0; i < 20; i++) {
      const before = pings(0)
      await server.until(() => pings(0) > before)
      server.emit()
    }
    expect(server.connections).toHaveLength(1)
  })

  it('consumes pongs: they are neither kept nor delivered nor counted', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 10 })
    await server.until(() => server.open.length === 1 && pings(0) >= 3)
    server.emit()
    await eventually(() => current?.messages.length === 1)
    expect(current.bridge.getMessages()).toHaveLength(1)
    expect(current.bridge.getStatus().counters.received).toBe(1)
  })

  it('sends no ping when heartbeatInterval is 0', async () => {
    server = await new EventServer({ answerPings: true }).start()
    current = startBridge({ url: server.url, heartbeatInterval: 0 })
    await server.until(() => server.open.length === 1)
    current.bridge.send('marker')
    await server.until(() => server.connections[0].received.includes('marker'))
    expect(pings(0)).toBe(0)
  })
})
