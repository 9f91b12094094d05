// "Ids over 200 characters are remembered by a hash" (README, Security): what the
// dedup memory holds for long ids, and that hashing them still tells ids apart,
// through a real bridge and ws server.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { guardStorage, memoryStorage } from '../src/storage/guarded'
import { createMessageLog, idKey } from '../src/storage/message-log'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer | undefined
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  vi.unstubAllGlobals()
  await server?.stop()
  server = undefined
})

describe('the long-id threshold', () => {
  it('keeps an id of up to 200 characters as it is and hashes one over 200', () => {
    for (const length of [1, 100, 199, 200]) expect(idKey('x'.repeat(length))).toBe('s' + 'x'.repeat(length))
    for (const length of [201, 1000, 1_000_000]) {
      const key = idKey('x'.repeat(length)) as string
      expect(key.startsWith('#'), length + ' characters').toBe(true)
      expect(key.length).toBeLessThan(40)
    }
    // Non-string ids by their JSON: an object id over 200 characters is hashed as well.
    expect(idKey({ a: 'y'.repeat(50) })).toBe(JSON.stringify({ a: 'y'.repeat(50) }))
    expect((idKey({ a: 'y'.repeat(300) }) as string).startsWith('#')).toBe(true)
  })

  it('holds a few dozen characters per id in the dedup memory, however long the ids', () => {
    // Every key the log remembers passes through Set.add: sum their lengths.
    let held = 0
    class MeasuringSet<T> extends Set<T> {
      override add(value: T) {
        if (!this.has(value) && typeof value === 'string') held += value.length
        return super.add(value)
      }
      override delete(value: T) {
        if (this.has(value) && typeof value === 'string') held -= value.length
        return super.delete(value)
      }
    }
    vi.stubGlobal('Set', MeasuringSet)
    const log = createMessageLog(guardStorage(memoryStorage()), { room: 'r', maxMessages: 100, dedupKey: 'id', dedupWindow: 1000, onEvicted: () => {} })
    vi.unstubAllGlobals()
    const long = (i: number) => String(i).padStart(8, '0') + 'z'.repeat(100_000)
    for (let i = 0; i < 1500; i++) log.add({ id: long(i) }, '{}')
    // 1,100 remembered ids (dedupWindow + maxMessages) of 100,008 characters would be 110 million.
    expect(held).toBeLessThan(1100 * 40)
    expect(log.add({ id: long(1499) }, '{}')).toBe('duplicate')
    expect(log.add({ id: long(0) }, '{}')).toBe('stored')
  })

  it('drops a repeated long id and keeps long ids that differ in one character, each kept exactly as sent', async () => {
    server = await new EventServer().start()
    const s = server
    const recorded = (current = startBridge({ url: s.url }))
    await s.until(() => s.open.length === 1)
    const base = 'k'.repeat(100_000)
    const ids = [base + 'a', base + 'b', 'b' + base, base.slice(0, 50_000) + 'm' + base.slice(50_001) + 'a', 'q'.repeat(201)]
    for (const id of ids) s.broadcast(JSON.stringify({ id, type: 'long' }))
    for (const id of ids) s.broadcast(JSON.stringify({ id, type: 'again' }))
    s.broadcast('{"id":"last"}')
    await eventually(() => recorded.bridge.getStatus().counters.received === 2 * ids.length + 1, 'every frame')
    expect(recorded.messages.map((m) => m.id)).toEqual([...ids, 'last'])
    expect(recorded.messages.slice(0, ids.length).map((m) => m.type)).toEqual(ids.map(() => 'long'))
    expect(recorded.bridge.getStatus().counters.duplicates).toBe(ids.length)
  })
})
