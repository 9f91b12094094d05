// Unit tests for the product defects the storage fault suite found
// (test/faults/storage.e2e.test.ts); each fails without its fix.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { initialStatus, isStatus } from '../../src/bridge/status'
import { guardStorage, memoryStorage, type StorageLike } from '../../src/storage/guarded'
import { createMessageLog } from '../../src/storage/message-log'

afterEach(() => vi.restoreAllMocks())

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
  it('forgets the oldest id without walking the Set from its start', () => {
    const log = open()
    const values = vi.spyOn(Set.prototype, 'values')
    for (let i = 0; i < 5000; i++) log.add({ id: 'm' + i }, '{"id":"m' + i + '"}')
    expect(values).not.toHaveBeenCalled()
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
