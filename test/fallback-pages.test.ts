// A poll answer the server cut short (X-WS-Bridge-More: 1) is followed at
// once by the next page, from the newer since, until an answer comes without
// the header; a bound stops a server that always says "more". Fake clock: a
// page that follows at once needs no time to pass, the interval does.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_PAGES } from '../src/bridge/fallback'
import { type Recorded, startBridge } from './helpers/bridge'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  vi.useRealTimers()
  await server?.stop()
})

/** GET /paged: at most `size` events after since, with X-WS-Bridge-More: 1 when it left some out. */
const paged = (size: number) => (req: IncomingMessage, res: ServerResponse, s: EventServer) => {
  const url = new URL(req.url || '/', s.httpUrl)
  if (url.pathname !== '/paged') return false
  s.polls.push(req.url || '')
  const since = url.searchParams.get('since')
  const after = since === null ? s.log : s.after(since)
  const more = after.length > size
  res.writeHead(200, { 'content-type': 'application/json', ...(more ? { 'X-WS-Bridge-More': '1' } : {}) })
  res.end(JSON.stringify(after.slice(0, size)))
  return true
}

/** A fetch double that always answers one new event and says more wait; it counts its calls. */
function endless() {
  let calls = 0
  const fetch = async () => {
    calls++
    return new Response(JSON.stringify([{ id: 'n' + calls, type: 'message' }]), { headers: { 'X-WS-Bridge-More': '1' } })
  }
  return { fetch: fetch as typeof globalThis.fetch, calls: () => calls }
}

describe('paged fallback polls', () => {
  it('follows the pages at once, each from the last id it got, until an answer comes without the header', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true, http: paged(2) }).start()
    for (let i = 0; i < 5; i++) server.emit()
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: server.httpUrl + '/paged', fallbackInterval: 10000 }))
    await settle(() => recorded.messages.length === 5, 'all three pages, no interval passed')
    await drain()
    expect(server.polls).toEqual(['/paged', '/paged?since=e2', '/paged?since=e4'])
    expect(recorded.messages.map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5'])

    // The last page had no header: the next poll waits for the interval.
    server.emit()
    vi.advanceTimersByTime(10000)
    await settle(() => recorded.messages.length === 6, 'the next poll')
    expect(server.polls.at(-1)).toBe('/paged?since=e5')
  })

  it('stops following after MAX_PAGES answers in a row and goes on after the interval', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    const double = endless()
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: 'http://127.0.0.1:1/events', fallbackInterval: 10000, fetch: double.fetch, maxMessages: 1000 }))
    await settle(() => double.calls() === MAX_PAGES, 'a run of pages')
    await drain()
    expect(double.calls()).toBe(MAX_PAGES)
    expect(recorded.messages).toHaveLength(MAX_PAGES)
    vi.advanceTimersByTime(10000)
    await settle(() => double.calls() === 2 * MAX_PAGES, 'the next run, after the interval')
    await drain()
    expect(double.calls()).toBe(2 * MAX_PAGES)
  })

  it('does not follow a header on an empty answer', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    let calls = 0
    const fetch = async () => {
      calls++
      return new Response('[]', { headers: { 'X-WS-Bridge-More': '1' } })
    }
    current = startBridge({ url: server.url, fallbackUrl: 'http://127.0.0.1:1/events', fallbackInterval: 10000, fetch })
    await settle(() => calls === 1)
    await drain()
    expect(calls).toBe(1)
  })

  it('stops following pages when the bridge closes from a message listener', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    const double = endless()
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: 'http://127.0.0.1:1/events', fetch: double.fetch }))
    recorded.bridge.on('message', () => {
      if (recorded.messages.length === 3) recorded.bridge.close()
    })
    await settle(() => recorded.bridge.getStatus().state === 'closed', 'closed')
    await drain()
    expect(double.calls()).toBe(3)
    expect(vi.getTimerCount()).toBe(0)
  })
})
