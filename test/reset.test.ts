import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Reset } from '../src/bridge/reset'
import { messagesKey, statusKey } from '../src/storage/keys'
import { memoryStorage, type StorageLike } from '../src/storage/guarded'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
const opened: Recorded[] = []

beforeEach(async () => {
  server = await new EventServer({ answerPings: true }).start()
})

afterEach(async () => {
  for (const recorded of opened.splice(0)) recorded.bridge.close()
  await server.stop()
})

function open(options: Parameters<typeof startBridge>[0]): Recorded & { resets: Reset[] } {
  const recorded = startBridge({ retryDelay: 5, ...options })
  opened.push(recorded)
  const resets: Reset[] = []
  recorded.bridge.on('reset', (reset) => resets.push(reset))
  return { ...recorded, resets }
}

const resetFrame = (since: string | null, resume: string, reason = 'epoch') => JSON.stringify({ type: 'reset', since, resume, reason })

describe('a reset from the server', () => {
  it('drops the kept history, says so once, and no longer dedups ids of the lost history', async () => {
    const { bridge, messages, statuses, resets } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    server.emit()
    server.emit()
    await eventually(() => messages.length === 2, 'two messages')
    server.broadcast(resetFrame('e2', 'B-0'))
    // A server that lost its state numbers anew: e1 is a new event now, not a duplicate.
    server.broadcast(JSON.stringify({ id: 'e1', type: 'message', text: 'after the reset' }))
    await eventually(() => messages.length === 3, 'the new e1')
    expect(resets).toHaveLength(1)
    expect(resets[0]).toMatchObject({ since: 'e2', resume: 'B-0', reason: 'epoch', dropped: 2 })
    expect(bridge.getMessages()).toEqual([{ id: 'e1', type: 'message', text: 'after the reset' }])
    const status = bridge.getStatus()
    expect(status.counters).toMatchObject({ resets: 1, duplicates: 0, stored: 3, received: 3 })
    expect(status.lastReset).toEqual(resets[0])
    expect(statuses.filter(([now, old]) => now.lastReset !== old.lastReset)).toHaveLength(1)
  })

  it('resumes from the server’s resume id until a new message comes, on the socket and on fallback polls', async () => {
    const { bridge, resets } = open({ url: server.url, fallbackUrl: server.httpUrl + '/events', fallbackInterval: 10 })
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => bridge.getMessages().length === 1, 'e1')
    server.broadcast(resetFrame('e1', 'B-7'))
    await eventually(() => resets.length === 1, 'the reset')
    server.options.refuseUpgrades = true
    server.dropAll()
    await server.until(() => server.polls.length >= 1)
    expect(server.upgrades.slice(1).every((path) => path === '/?since=B-7')).toBe(true)
    expect(server.polls[0]).toBe('/events?since=B-7')
    expect(bridge.getStatus().url).toBe(server.url + '/?since=B-7')
  })

  it('takes a reset from a fallback poll the same way: the reset first, then what follows it', async () => {
    server.options.refuseUpgrades = true
    server.options.http = (req, res) => {
      if (!req.url?.startsWith('/events')) return false
      server.polls.push(req.url)
      res.writeHead(200, { 'content-type': 'application/json' })
      // Like a conforming server: an id of the old history gets the reset, the new one what came after it.
      res.end(req.url.includes('since=B-') ? '[]' : '[' + resetFrame('old-3', 'B-4', 'evicted') + ',{"id":"B-5","type":"message"}]')
      return true
    }
    const storage = memoryStorage()
    storage.setItem(messagesKey('r1'), JSON.stringify([{ id: 'old-3', type: 'message' }]))
    const { bridge, resets, messages } = open({ url: server.url, storage, fallbackUrl: server.httpUrl + '/events', fallbackInterval: 10 })
    await server.until(() => server.polls.includes('/events?since=B-5'))
    expect(resets[0]).toMatchObject({ since: 'old-3', resume: 'B-4', reason: 'evicted', dropped: 1 })
    expect(messages.map((m) => m.id)).toEqual(['B-5'])
    // A poll abandoned when the next was due (a busy machine) may repeat the old id; never after the reset.
    const first = server.polls.indexOf('/events?since=B-5')
    expect(new Set(server.polls.slice(0, first))).toEqual(new Set(['/events?since=old-3']))
    expect(resets).toHaveLength(1)
    expect(bridge.getMessages().map((m) => m.id)).toEqual(['B-5'])
  })

  it('survives a reload: the next page resumes from the reset’s resume id and keeps counting', async () => {
    const storage: StorageLike = memoryStorage()
    const first = open({ url: server.url, storage })
    await server.until(() => server.open.length === 1)
    server.broadcast(resetFrame(null, 'B-3'))
    await eventually(() => first.resets.length === 1, 'the reset')
    first.bridge.close()
    const second = open({ url: server.url, storage })
    await server.until(() => server.connections.length === 2)
    expect(server.connections[1].url.search).toBe('?since=B-3')
    expect(second.bridge.getStatus().counters.resets).toBe(1)
    expect(second.bridge.getStatus().lastReset).toMatchObject({ resume: 'B-3' })
  })

  it('treats a frame that only looks like a reset (an id, or no resume) as an ordinary message', async () => {
    const { messages, resets } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    server.broadcast(JSON.stringify({ id: 'g1', type: 'reset', resume: 'x' }))
    server.broadcast(JSON.stringify({ type: 'reset' }))
    await eventually(() => messages.length === 2, 'two messages')
    expect(resets).toEqual([])
  })

  it('reads a status stored by version 1, which counted no resets', async () => {
    const storage = memoryStorage()
    const counters = { received: 7, stored: 5, duplicates: 1, invalid: 1, dropped: 0 }
    storage.setItem(statusKey('r1'), JSON.stringify({ v: 1, state: 'closed', counters }))
    const { bridge } = open({ url: server.url, storage })
    expect(bridge.getStatus()).toMatchObject({ v: 2, lastReset: null, counters: { ...counters, resets: 0 } })
  })
})
