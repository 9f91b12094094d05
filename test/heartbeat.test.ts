// The heartbeat on a fake clock against a real ws server: pings, timeouts and
// backoff pass only when the test advances time, so a GC pause or a busy
// machine cannot make a ping late or a timeout early. Real sockets still
// carry every frame; `settle` waits for them.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ConnectOptions } from '../src/bridge/options'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer } from './helpers/ws-server'

const INTERVAL = 1000
const TIMEOUT = 500
// The reconnect a heartbeat death starts is a zero-delay timer set inside the deadline's timer;
// fake timers, like browsers, run such a nested timer 1 ms later.
const NESTED = 1
const DEAD = 'no answer to a ping for ' + TIMEOUT + ' ms; reconnecting'

let server: EventServer | undefined
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  vi.useRealTimers()
  await server?.stop()
  server = undefined
})

const pings = (index: number) => (server as EventServer).connections[index]?.received.filter((f) => f === '{"type":"ping"}').length ?? 0

/** Frames of `type` the bridge's current socket has received (the socket is public: bridge.ws). */
function countIncoming(recorded: Recorded, type: string): () => number {
  let seen = 0
  let socket: WebSocket | null = null
  return () => {
    const ws = recorded.bridge.ws
    if (ws && ws !== socket) {
      socket = ws
      ws.addEventListener('message', (event) => {
        if (String((event as MessageEvent).data).includes('"type":"' + type + '"')) seen++
      })
    }
    return seen
  }
}

/** A connected bridge whose server answered one ping (so the timeout is enforced from now on). */
async function answeredOnce(options: Partial<ConnectOptions> = {}): Promise<Recorded> {
  useFakeClock()
  server = await new EventServer({ answerPings: true }).start()
  const recorded = (current = startBridge({ url: server.url, heartbeatInterval: INTERVAL, heartbeatTimeout: TIMEOUT, retryDelay: 100, ...options }))
  const s = server
  await settle(() => s.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
  const pongs = countIncoming(recorded, 'pong')
  pongs()
  vi.advanceTimersByTime(INTERVAL)
  await settle(() => pings(0) === 1 && pongs() === 1, 'the first ping answered')
  return recorded
}

const heartbeatErrors = (recorded: Recorded) => recorded.errors.filter((e) => e.kind === 'heartbeat')

describe('heartbeat', () => {
  it('declares a half-open link dead exactly interval + timeout after its last pong, and reconnects', async () => {
    const recorded = await answeredOnce()
    const s = server as EventServer
    // The link goes silent both ways (like a phone switching networks): no pongs, no frames.
    s.options.answerPings = false
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(0) === 2, 'the unanswered ping')
    vi.advanceTimersByTime(TIMEOUT - 1)
    await drain()
    expect(heartbeatErrors(recorded)).toEqual([])
    expect(s.connections).toHaveLength(1)
    vi.advanceTimersByTime(1)
    vi.advanceTimersByTime(NESTED)
    await settle(() => s.connections.length === 2, 'the reconnect')
    expect(heartbeatErrors(recorded)).toEqual([{ kind: 'heartbeat', message: DEAD }])
    s.options.answerPings = true
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected again')
  })

  it('reports the link disconnected the moment the heartbeat declares it dead, not connected until the next attempt', async () => {
    const recorded = await answeredOnce()
    const s = server as EventServer
    s.options.answerPings = false
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(0) === 2, 'the unanswered ping')
    vi.advanceTimersByTime(TIMEOUT)
    await settle(() => heartbeatErrors(recorded).length === 1, 'the heartbeat death')
    const declared = recorded.statuses.find(([status]) => status.lastError === DEAD)
    expect(declared?.[0].state).toBe('disconnected')
    expect(declared?.[1].state).toBe('connected')
  })

  it('detects a link that goes silent after a reconnect, before its first pong, once the server has answered pings', async () => {
    const recorded = await answeredOnce()
    const s = server as EventServer
    // The link drops; the next connection goes half-open before it answers any ping (a second network change).
    s.options.answerPings = false
    s.dropAll()
    await settle(() => recorded.bridge.getStatus().retryAt !== null, 'the retry wait')
    vi.advanceTimersByTime(100)
    await settle(() => s.open.length === 1 && s.connections.length === 2 && recorded.bridge.getStatus().state === 'connected', 'the second connection')
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(1) === 1, 'the first ping on the new link')
    vi.advanceTimersByTime(TIMEOUT - 1)
    await drain()
    expect(s.connections).toHaveLength(2)
    vi.advanceTimersByTime(1)
    vi.advanceTimersByTime(NESTED)
    await settle(() => s.connections.length === 3, 'the link declared dead')
    expect(heartbeatErrors(recorded)).toHaveLength(1)
  })

  it('forgets the pending ping on reconnect(): the old timeout never kills the new attempt', async () => {
    let calls = 0
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const url = async () => (++calls === 1 ? (server as EventServer).url : gate.then(() => (server as EventServer).url))
    const recorded = await answeredOnce({ url })
    const s = server as EventServer
    s.options.answerPings = false
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(0) === 2, 'a ping left unanswered')
    recorded.bridge.reconnect() // the next attempt waits for its URL
    vi.advanceTimersByTime(10 * TIMEOUT)
    await drain()
    expect(recorded.errors).toEqual([])
    release()
    await settle(() => s.open.length === 1 && s.connections.length === 2, 'the new connection')
    expect(s.connections).toHaveLength(2)
  })

  it('polls the fallback URL the moment the heartbeat declares the link dead, not only once the next attempt fails', async () => {
    let calls = 0
    // The next attempt hangs on its URL (a token fetch on a dead network): it neither opens nor fails.
    const url = async () => (++calls === 1 ? (server as EventServer).url : new Promise<string>(() => {}))
    const polls: string[] = []
    const fetch = async (input: string | URL | Request) => {
      polls.push(String(input))
      return new Response('[]')
    }
    const recorded = await answeredOnce({ url, fallbackUrl: 'http://127.0.0.1:1/events', fallbackInterval: 60000, fetch: fetch as typeof globalThis.fetch })
    const s = server as EventServer
    s.options.answerPings = false
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(0) === 2, 'the unanswered ping')
    vi.advanceTimersByTime(TIMEOUT)
    vi.advanceTimersByTime(NESTED)
    await settle(() => polls.length === 1, 'the first poll')
    expect(calls).toBe(2)
    expect(recorded.bridge.getStatus()).toMatchObject({ state: 'disconnected', transport: 'polling' })
  })

  it('never reconnects a plain server that ignores pings', async () => {
    useFakeClock()
    server = await new EventServer({ answerPings: false }).start()
    const s = server
    const recorded = (current = startBridge({ url: s.url, heartbeatInterval: INTERVAL, heartbeatTimeout: TIMEOUT }))
    await settle(() => s.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
    // 25 unanswered pings span far more than interval + timeout.
    for (let i = 1; i <= 25; i++) {
      vi.advanceTimersByTime(INTERVAL)
      await settle(() => pings(0) === i, 'ping ' + i)
    }
    vi.advanceTimersByTime(TIMEOUT)
    await drain()
    expect(s.connections).toHaveLength(1)
    expect(recorded.bridge.getStatus().state).toBe('connected')
    expect(recorded.errors).toEqual([])
  })

  it('treats any frame after a ping as a sign of life, and silence after the same ping as death', async () => {
    const recorded = await answeredOnce()
    const s = server as EventServer
    const frames = countIncoming(recorded, 'message')
    s.options.answerPings = false
    // Ordinary traffic keeps flowing: the link is alive even without pongs.
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(INTERVAL)
      await settle(() => pings(0) === i + 2, 'ping ' + (i + 2))
      s.emit()
      await settle(() => frames() === i + 1, 'the frame after ping ' + (i + 2))
      // The next round's INTERVAL passes this ping's deadline (TIMEOUT < INTERVAL) before the next ping.
    }
    expect(s.connections).toHaveLength(1)
    expect(recorded.messages).toHaveLength(20)
    // The same round without the frame: the link is declared dead, so the rounds above could have failed.
    vi.advanceTimersByTime(INTERVAL)
    await settle(() => pings(0) === 22, 'ping 22')
    vi.advanceTimersByTime(TIMEOUT)
    vi.advanceTimersByTime(NESTED)
    await settle(() => s.connections.length === 2, 'the link declared dead')
    expect(heartbeatErrors(recorded)).toHaveLength(1)
  })

  it('consumes pongs: they are neither kept nor delivered nor counted', async () => {
    const recorded = await answeredOnce()
    const s = server as EventServer
    const pongs = countIncoming(recorded, 'pong')
    pongs()
    for (let i = 2; i <= 3; i++) {
      vi.advanceTimersByTime(INTERVAL)
      await settle(() => pings(0) === i && pongs() === i - 1, 'pong ' + i)
    }
    s.emit()
    await settle(() => recorded.messages.length === 1, 'the message')
    expect(recorded.messages.map((m) => m.type)).toEqual(['message'])
    expect(recorded.bridge.getMessages()).toHaveLength(1)
    expect(recorded.bridge.getStatus().counters.received).toBe(1)
  })

  it('sends no ping when heartbeatInterval is 0', async () => {
    useFakeClock()
    server = await new EventServer({ answerPings: true }).start()
    const s = server
    const recorded = (current = startBridge({ url: s.url, heartbeatInterval: 0 }))
    await settle(() => s.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
    vi.advanceTimersByTime(10 * 60 * 1000)
    recorded.bridge.send('marker')
    await settle(() => s.connections[0].received.includes('marker'), 'the marker')
    expect(pings(0)).toBe(0)
  })
})
