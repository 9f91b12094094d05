import { afterEach, describe, expect, it, vi } from 'vitest'
import { guardStorage, memoryStorage, type StorageLike } from '../src/storage/guarded'
import { createMessageLog, idKey } from '../src/storage/message-log'
import { messagesKey } from '../src/storage/keys'

const options = { room: 'r1', maxMessages: 100, dedupKey: 'id', dedupWindow: 1000, onEvicted: () => {} }

function openLog(storage: StorageLike = memoryStorage(), extra: Partial<typeof options> = {}) {
  return createMessageLog(guardStorage(storage), { ...options, ...extra })
}

// console.warn spies go back even when a case fails before its own mockRestore().
afterEach(() => {
  vi.restoreAllMocks()
})

const stored = (storage: StorageLike, room = 'r1') => JSON.parse(storage.getItem(messagesKey(room)) || 'null')

describe('message log', () => {
  it('keeps the last maxMessages, oldest first', () => {
    const log = openLog()
    for (let i = 1; i <= 150; i++) log.add({ id: 'e' + i }, JSON.stringify({ id: 'e' + i }))
    const ids = log.messages().map((m) => m.id)
    expect(ids).toHaveLength(100)
    expect(ids[0]).toBe('e51')
    expect(ids[99]).toBe('e150')
  })

  it('keeps a message exactly as sent', () => {
    const log = openLog()
    const message = { id: 'x', type: 'phase', phase: 'voting', nested: { a: [1, 2] } }
    log.add(message, JSON.stringify(message))
    expect(log.messages()).toEqual([message])
  })

  it('refuses an id it has seen', () => {
    const log = openLog()
    expect(log.add({ id: 'a', n: 1 }, JSON.stringify({ id: 'a', n: 1 }))).toBe('stored')
    expect(log.add({ id: 'a', n: 2 }, JSON.stringify({ id: 'a', n: 2 }))).toBe('duplicate')
    expect(log.messages()).toEqual([{ id: 'a', n: 1 }])
  })

  it('keeps messages without an id and never dedups them', () => {
    const log = openLog()
    expect(log.add({ type: 'typing' }, JSON.stringify({ type: 'typing' }))).toBe('stored')
    expect(log.add({ type: 'typing' }, JSON.stringify({ type: 'typing' }))).toBe('stored')
    expect(log.add({ id: null, type: 'typing' }, JSON.stringify({ id: null, type: 'typing' }))).toBe('stored')
    expect(log.messages()).toHaveLength(3)
  })

  it('tells the string "5" from the number 5', () => {
    const log = openLog()
    expect(log.add({ id: 5 }, JSON.stringify({ id: 5 }))).toBe('stored')
    expect(log.add({ id: '5' }, JSON.stringify({ id: '5' }))).toBe('stored')
    expect(log.add({ id: 5 }, JSON.stringify({ id: 5 }))).toBe('duplicate')
  })

  it('remembers ids beyond the kept messages, up to the dedup window', () => {
    const log = openLog(memoryStorage(), { maxMessages: 2, dedupWindow: 3 })
    for (const id of ['a', 'b', 'c', 'd', 'e']) log.add({ id }, JSON.stringify({ id }))
    expect(log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))).toBe('duplicate')
    log.add({ id: 'f' }, JSON.stringify({ id: 'f' }))
    expect(log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))).toBe('stored')
  })

  it('uses a dedup function when given one', () => {
    const log = openLog(memoryStorage(), { dedupKey: ((m: { meta?: { uid?: string } }) => m.meta?.uid) as never })
    expect(log.add({ meta: { uid: 'u1' } }, JSON.stringify({ meta: { uid: 'u1' } }))).toBe('stored')
    expect(log.add({ meta: { uid: 'u1' }, other: true }, JSON.stringify({ meta: { uid: 'u1' }, other: true }))).toBe('duplicate')
  })

  it('survives a dedup function that throws, treating the message as id-less', () => {
    const log = openLog(memoryStorage(), {
      dedupKey: (() => {
        throw new Error('boom')
      }) as never,
    })
    expect(log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))).toBe('stored')
    expect(log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))).toBe('stored')
  })

  it('writes nothing until saved, then one array', () => {
    const storage = memoryStorage()
    const setItem = vi.spyOn(storage, 'setItem')
    const log = openLog(storage)
    for (let i = 0; i < 50; i++) log.add({ id: i }, JSON.stringify({ id: i }))
    expect(setItem).not.toHaveBeenCalled()
    log.save()
    log.save()
    expect(setItem).toHaveBeenCalledTimes(1)
    expect(stored(storage)).toHaveLength(50)
  })

  it('keeps history and dedup across a reload', () => {
    const storage = memoryStorage()
    const first = openLog(storage)
    first.add({ id: 'a' }, JSON.stringify({ id: 'a' }))
    first.add({ id: 'b' }, JSON.stringify({ id: 'b' }))
    first.save()
    const second = openLog(storage)
    expect(second.messages().map((m) => m.id)).toEqual(['a', 'b'])
    expect(second.add({ id: 'b' }, JSON.stringify({ id: 'b' }))).toBe('duplicate')
    expect(second.lastId()).toBe('b')
  })

  it('gives the newest id that can travel in a URL', () => {
    const log = openLog()
    expect(log.lastId()).toBeUndefined()
    log.add({ id: 7 }, JSON.stringify({ id: 7 }))
    log.add({ id: { weird: true } }, JSON.stringify({ id: { weird: true } }))
    log.add({ type: 'no id' }, JSON.stringify({ type: 'no id' }))
    expect(log.lastId()).toBe('7')
  })

  it('clears messages and seen ids', () => {
    const storage = memoryStorage()
    const log = openLog(storage)
    log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))
    log.clear()
    log.save()
    expect(log.messages()).toEqual([])
    expect(log.add({ id: 'a' }, JSON.stringify({ id: 'a' }))).toBe('stored')
    expect(stored(storage)).toEqual([])
  })

  it('drops the oldest and retries when storage is full', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const backing = memoryStorage()
    const quota: StorageLike = {
      ...backing,
      getItem: backing.getItem,
      removeItem: backing.removeItem,
      setItem(key, value) {
        if (value.length > 2000) throw new DOMException('full', 'QuotaExceededError')
        backing.setItem(key, value)
      },
    }
    const onEvicted = vi.fn()
    const log = createMessageLog(guardStorage(quota), { ...options, room: 'full', onEvicted })
    for (let i = 0; i < 100; i++) log.add({ id: 'm' + i, text: 'x'.repeat(40) }, JSON.stringify({ id: 'm' + i, text: 'x'.repeat(40) }))
    log.save()
    const kept = stored(backing, 'full') as Array<{ id: string }>
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length).toBeLessThan(100)
    expect(kept[kept.length - 1].id).toBe('m99')
    expect(onEvicted).toHaveBeenCalledWith(100 - kept.length)
    expect(log.messages()).toEqual(kept)
    expect(warn.mock.calls.filter(([text]) => String(text).includes('storage is full'))).toHaveLength(1)
    warn.mockRestore()
  })

  it('resets a corrupt or foreign value under its key, warning once', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (const [room, value] of [
      ['corrupt', '{not json'],
      ['foreign', '{"messages":[]}'],
      ['mixed', '[{"id":1}, 5]'],
    ]) {
      const storage = memoryStorage()
      storage.setItem(messagesKey(room), value)
      const log = openLog(storage, { room })
      expect(log.messages()).toEqual([])
      expect(storage.getItem(messagesKey(room))).toBeNull()
      log.add({ id: 'fresh' }, JSON.stringify({ id: 'fresh' }))
      log.save()
      expect(stored(storage, room)).toEqual([{ id: 'fresh' }])
    }
    expect(warn.mock.calls.filter(([text]) => String(text).includes('"ws_messages_corrupt"'))).toHaveLength(1)
    warn.mockRestore()
  })
})

describe('idKey', () => {
  it('has no key for null and undefined', () => {
    expect(idKey(null)).toBeUndefined()
    expect(idKey(undefined)).toBeUndefined()
  })

  it('bounds huge ids by hashing them', () => {
    const key = idKey('x'.repeat(1_000_000)) as string
    expect(key.length).toBeLessThan(40)
    expect(idKey('x'.repeat(1_000_000))).toBe(key)
    expect(idKey('x'.repeat(999_999))).not.toBe(key)
  })

  it('keys objects by their JSON', () => {
    expect(idKey({ a: 1 })).toBe(idKey({ a: 1 }))
    expect(idKey({ a: 1 })).not.toBe(idKey({ a: 2 }))
  })
})
