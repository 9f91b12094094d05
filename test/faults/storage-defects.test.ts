// Unit tests for the product defects the storage fault suite found
// (test/faults/storage.e2e.test.ts); each fails without its fix.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { initialStatus, isStatus } from '../../src/bridge/status'
import { guardStorage, memoryStorage, type StorageLike } from '../../src/storage/guarded'
import { createMessageLog } from '../../src/storage/message-log'

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

/**
 * Replaces the global Set and Map with subclasses that count their work: one per add, has,
 * delete, get, set and clear, and for an iteration (values, keys, entries, for…of, spread,
 * forEach) the number of entries it may walk. V8 reaches a Set's first live entry only after
 * walking the slots of every entry deleted before it, so any walk from the start costs up to
 * the table's size, whichever way it is written.
 */
function countingCollections() {
  let ops = 0
  class CountingSet<T> extends Set<T> {
    override add(value: T) { ops++; return super.add(value) }
    override has(value: T) { ops++; return super.has(value) }
    override delete(value: T) { ops++; return super.delete(value) }
    override clear() { ops++; super.clear() }
    override values() { ops += this.size; return super.values() }
    override keys() { ops += this.size; return super.keys() }
    override entries() { ops += this.size; return super.entries() }
    override forEach(each: (value: T, key: T, set: Set<T>) => void, self?: unknown) { ops += this.size; super.forEach(each, self) }
    override [Symbol.iterator]() { ops += this.size; return super[Symbol.iterator]() }
  }
  class CountingMap<K, V> extends Map<K, V> {
    override get(key: K) { ops++; return super.get(key) }
    override set(key: K, value: V) { ops++; return super.set(key, value) }
    override has(key: K) { ops++; return super.has(key) }
    override delete(key: K) { ops++; return super.delete(key) }
    override clear() { ops++; super.clear() }
    override values() { ops += this.size; return super.values() }
    override keys() { ops += this.size; return super.keys() }
    override entries() { ops += this.size; return super.entries() }
    override forEach(each: (value: V, key: K, map: Map<K, V>) => void, self?: unknown) { ops += this.size; super.forEach(each, self) }
    override [Symbol.iterator]() { ops += this.size; return super[Symbol.iterator]() }
  }
  vi.stubGlobal('Set', CountingSet)
  vi.stubGlobal('Map', CountingMap)
  return { ops: () => ops, restore: () => vi.unstubAllGlobals(), CountingSet }
}

describe('a storage too full for a single message', () => {
  it('keeps the newest message in memory, so the resume id survives', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const backing = memoryStorage()
    const full: StorageLike = {
      getItem: backing.getItem,
      removeItem: backing.removeItem,
      setItem() {
        throw new DOMException('full', 'QuotaExceededError')
      },
    }
    const log = createMessageLog(guardStorage(full), { room: 'r', maxMessages: 100, dedupKey: 'id', dedupWindow: 1000, onEvicted: () => {} })
    for (let i = 1; i <= 20; i++) log.add({ id: 'm' + i }, JSON.stringify({ id: 'm' + i }))
    log.save()
    expect(log.lastId()).toBe('m20')
    expect(log.messages()).toEqual([{ id: 'm20' }])
    // An id already seen is still refused after the eviction.
    expect(log.add({ id: 'm5' }, '{"id":"m5"}')).toBe('duplicate')
  })
})

describe('a stored status of the wrong shape', () => {
  it('is refused when its counters are not finite, non-negative numbers', () => {
    const good = initialStatus('r', 'session', null)
    expect(isStatus(good)).toBe(true)
    expect(isStatus({ ...good, counters: { ...good.counters, received: 'lots' } })).toBe(false)
    expect(isStatus({ ...good, counters: { ...good.counters, stored: null } })).toBe(false)
    expect(isStatus({ ...good, counters: { ...good.counters, invalid: -5 } })).toBe(false)
    expect(isStatus({ ...good, counters: { received: 1 } })).toBe(false)
  })
})

describe('the dedup window under a long stream', () => {
  const open = () => createMessageLog(guardStorage(memoryStorage()), { room: 'r', maxMessages: 100, dedupKey: 'id', dedupWindow: 1000, onEvicted: () => {} })

  // Found by the load suite: 1,000 messages/s cost the bridge ~9x a bare onmessage, most of it
  // in reaching the Set's oldest entry past the slots of every id deleted before it.
  it('does a constant amount of Set/Map work per message, whatever the history and the window', () => {
    const perMessage = (history: number, dedupWindow: number) => {
      const work = countingCollections()
      const log = createMessageLog(guardStorage(memoryStorage()), { room: 'r', maxMessages: 100, dedupKey: 'id', dedupWindow, onEvicted: () => {} })
      for (let i = 0; i < history; i++) log.add({ id: 'm' + i }, '{"id":"m' + i + '"}')
      const before = work.ops()
      const measured = 1000
      for (let i = history; i < history + measured; i++) log.add({ id: 'm' + i }, '{"id":"m' + i + '"}')
      const ops = (work.ops() - before) / measured
      work.restore()
      return ops
    }
    const figures = { short: perMessage(2_000, 1000), long: perMessage(50_000, 1000), wideWindow: perMessage(50_000, 20_000) }
    console.log('[faults] dedup work per message (Set/Map operations, an iteration counted as the entries it may walk): ' + JSON.stringify(figures))
    expect(figures.short).toBeLessThanOrEqual(8)
    expect(figures.long).toBe(figures.short)
    expect(figures.wideWindow).toBe(figures.short)
  })

  it('counts the ways of walking a Set, so the check above can fail', () => {
    const work = countingCollections()
    const set = new Set(['a', 'b', 'c'])
    const map = new Map([['a', 1]])
    const start = work.ops()
    set.values().next()
    set.keys().next()
    for (const key of set) void key
    void [...set.entries()]
    set.forEach(() => {})
    Array.from(map)
    work.restore()
    expect(work.ops() - start).toBe(5 * 3 + 1)
    expect(new Set()).not.toBeInstanceOf(work.CountingSet)
  })
  it('remembers exactly the last dedupWindow + maxMessages ids, also after clear()', () => {
    const log = open()
    for (let i = 0; i < 5000; i++) log.add({ id: 'm' + i }, '{"id":"m' + i + '"}')
    expect(log.add({ id: 'm3900' }, '{"id":"m3900"}')).toBe('duplicate')
    expect(log.add({ id: 'm3899' }, '{"id":"m3899"}')).toBe('stored')
    log.clear()
    expect(log.add({ id: 'm4999' }, '{"id":"m4999"}')).toBe('stored')
    for (let i = 0; i < 1100; i++) log.add({ id: 'n' + i }, '{"id":"n' + i + '"}')
    expect(log.add({ id: 'n0' }, '{"id":"n0"}')).toBe('duplicate')
    expect(log.add({ id: 'm4999' }, '{"id":"m4999"}')).toBe('stored')
  })
})
