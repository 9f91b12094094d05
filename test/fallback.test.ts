import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { settle, useFakeClock, drain } from './helpers/fake-time'
import { EventServer } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  vi.useRealTimers()
  await server.stop()
})

describe('fallback polling', () => {
  it('polls with since while the socket is down and stops once it is back', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    server.emit({ text: 'before' })
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: server.httpUrl + '/events', fallbackInterval: 10000 }))
    await settle(() => recorded.messages.length === 1, 'first poll')
    expect(server.polls[0]).toBe('/events')
    expect(recorded.bridge.getStatus().transport).toBe('polling')

    server.emit({ text: 'while down' })
    vi.advanceTimersByTime(10000)
    await settle(() => recorded.messages.length === 2, 'second poll')
    expect(server.polls[1]).toBe('/events?since=e1')

    server.options.refuseUpgrades = false
    await settle(() => {
      vi.advanceTimersByTime(1000) // through whatever backoff wait is running
      return recorded.bridge.getStatus().state === 'connected'
    }, 'socket back')
    expect(recorded.bridge.getStatus().transport).toBe('websocket')
    const polls = server.polls.length
    vi.advanceTimersByTime(100000)
    await drain()
    expect(server.polls.length).toBe(polls)
    expect(recorded.messages.map((m) => m.text)).toEqual(['before', 'while down'])
    expect(server.upgrades.at(-1)).toBe('/?since=e2')
  })

  it('feeds polled messages through the same dedup', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    server.emit()
    server.emit()
    const recorded = (current = startBridge({
      url: server.url,
      fallbackUrl: server.httpUrl + '/replay-all',
      fallbackInterval: 1000,
      fetch: async () => new Response(JSON.stringify(server.log)),
    }))
    await settle(() => recorded.messages.length === 2)
    vi.advanceTimersByTime(1000)
    await settle(() => recorded.bridge.getStatus().counters.duplicates === 2)
    expect(recorded.messages).toHaveLength(2)
  })

  it('reports a failing poll and keeps polling', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    let calls = 0
    const fetch = async () => (++calls === 1 ? new Response('down', { status: 503 }) : new Response('{"not":"an array"}'))
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: 'http://127.0.0.1/events', fallbackInterval: 1000, fetch }))
    await settle(() => recorded.errors.some((e) => e.kind === 'fallback'))
    vi.advanceTimersByTime(1000)
    await settle(() => recorded.errors.filter((e) => e.kind === 'fallback').length === 2)
    expect(recorded.errors.filter((e) => e.kind === 'fallback').map((e) => e.message)).toEqual([
      'poll failed: HTTP 503',
      'poll failed: not a JSON array',
    ])
  })

  it('does not poll without a fallback URL', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    const recorded = (current = startBridge({ url: server.url }))
    await settle(() => recorded.bridge.getStatus().attempts === 1)
    expect(recorded.bridge.getStatus().transport).toBe('websocket')
    expect(server.polls).toEqual([])
  })

  it('calls fetch unbound, as the browser’s fetch requires', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    server.emit()
    // Like window.fetch: "Illegal invocation" when called as a method of another object.
    function strictFetch(this: unknown, input: string) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation')
      return fetch(input)
    }
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: server.httpUrl + '/events', fetch: strictFetch as typeof fetch }))
    await settle(() => recorded.messages.length === 1, 'polled message')
    expect(recorded.errors.filter((e) => e.kind === 'fallback')).toEqual([])
  })
})
