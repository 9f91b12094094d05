import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStorage } from '../../src/storage/guarded'
import { createLedger, isLedgerRecord, RECENT_IDS } from '../../src/delivery/ledger'
import { ledgerKey } from '../../src/storage/keys'

afterEach(() => {
  vi.useRealTimers()
})

let ids = 0
const newId = () => 'tab-' + ++ids

describe('createLedger', () => {
  it('numbers new messages 1, 2, 3… and keeps them until acknowledged', () => {
    const ledger = createLedger(memoryStorage(), 'r1', { newId })
    expect(ledger.add({ id: 'a' })).toBe(true)
    expect(ledger.add({ id: 'b' })).toBe(true)
    expect(ledger.add({ id: 'c' })).toBe(true)
    expect(ledger.pending().map((e) => [e.seq, e.event.id])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']])
    expect(ledger.acknowledge(ledger.tab, 2)).toBe(true)
    expect(ledger.pending().map((e) => e.seq)).toEqual([3])
    expect(ledger.ack).toBe(2)
    expect(ledger.last).toBe(3)
  })

  it('numbers a message seen twice (a replay, a second frame) once', () => {
    const ledger = createLedger(memoryStorage(), 'r1', { newId })
    expect(ledger.add({ id: 'a' })).toBe(true)
    expect(ledger.add({ id: 'a' })).toBe(false)
    // Messages without an id are never deduplicated.
    expect(ledger.add({ type: 'x' })).toBe(true)
    expect(ledger.add({ type: 'x' })).toBe(true)
    expect(ledger.last).toBe(3)
  })

  it('ignores an acknowledgement for another tab, a stale one, or none', () => {
    const ledger = createLedger(memoryStorage(), 'r1', { newId })
    ledger.add({ id: 'a' })
    ledger.add({ id: 'b' })
    expect(ledger.acknowledge('someone-else', 2)).toBe(false)
    expect(ledger.acknowledge(null, 2)).toBe(false)
    expect(ledger.acknowledge(ledger.tab, null)).toBe(false)
    expect(ledger.acknowledge(ledger.tab, 1)).toBe(true)
    expect(ledger.acknowledge(ledger.tab, 1)).toBe(false)
    // Never past what was given out.
    expect(ledger.acknowledge(ledger.tab, 99)).toBe(true)
    expect(ledger.ack).toBe(2)
    expect(ledger.pending()).toEqual([])
  })

  it('survives a reload: a new frame on the same storage continues the numbering and the pending events', () => {
    const storage = memoryStorage()
    const first = createLedger(storage, 'r1', { newId })
    first.add({ id: 'a' })
    first.add({ id: 'b' })
    first.acknowledge(first.tab, 1)
    // pagehide flushes; so does every send.
    first.flush()
    const second = createLedger(storage, 'r1', { newId })
    expect(second.tab).toBe(first.tab)
    expect(second.pending().map((e) => e.event.id)).toEqual(['b'])
    expect(second.add({ id: 'b' })).toBe(false)
    expect(second.add({ id: 'c' })).toBe(true)
    expect(second.last).toBe(3)
  })

  it('two live frames of one tab (a remount) settle on one numbering: each message numbered once', () => {
    const storage = memoryStorage()
    const old = createLedger(storage, 'r1', { newId })
    const remount = createLedger(storage, 'r1', { newId })
    expect(remount.tab).toBe(old.tab)
    // Both receive 'a' before either wrote; the remount also gets 'b'.
    expect(old.add({ id: 'a' })).toBe(true)
    expect(remount.add({ id: 'a' })).toBe(true)
    expect(remount.add({ id: 'b' })).toBe(true)
    old.flush()
    // The remount adopts what the old frame wrote and numbers its own unwritten messages on top, once.
    remount.flush()
    const expected = [[1, 'a'], [2, 'b']]
    expect(remount.pending().map((e) => [e.seq, e.event.id])).toEqual(expected)
    expect(old.pending().map((e) => [e.seq, e.event.id])).toEqual(expected)
    expect(old.add({ id: 'b' })).toBe(false)
  })

  it('writes only on flush() (the delivery calls it on its batch schedule), and nothing when nothing changed', () => {
    vi.useFakeTimers()
    const storage = memoryStorage()
    let writes = 0
    const counting = { ...storage, setItem: (k: string, v: string) => { writes++; storage.setItem(k, v) } }
    const ledger = createLedger(counting, 'r1', { newId })
    // A new tab's record is written at once, so a second frame of the tab shares its id.
    expect(writes).toBe(1)
    for (let i = 0; i < 500; i++) ledger.add({ id: 'm' + i })
    vi.advanceTimersByTime(60_000)
    expect(writes).toBe(1)
    ledger.flush()
    expect(writes).toBe(2)
    expect(JSON.parse(storage.getItem(ledgerKey('r1')) as string).last).toBe(500)
    ledger.flush()
    expect(writes).toBe(2)
  })

  it('carries on in memory when storage throws', () => {
    const broken = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') }, removeItem: () => {} }
    const ledger = createLedger(broken, 'r1', { newId })
    expect(ledger.add({ id: 'a' })).toBe(true)
    ledger.flush()
    expect(ledger.pending()).toHaveLength(1)
  })

  it('keeps rooms apart, remembers a bounded number of ids, and resets a record it did not write', () => {
    const storage = memoryStorage()
    const r1 = createLedger(storage, 'r1', { newId })
    const r2 = createLedger(storage, 'r2', { newId })
    r1.add({ id: 'a' })
    expect(r2.add({ id: 'a' })).toBe(true)
    expect(r1.tab).not.toBe(r2.tab)
    for (let i = 0; i < RECENT_IDS + 10; i++) r1.add({ id: 'm' + i })
    r1.flush()
    const record = JSON.parse(storage.getItem(ledgerKey('r1')) as string)
    expect(isLedgerRecord(record)).toBe(true)
    expect(record.recent).toHaveLength(RECENT_IDS)
    storage.setItem(ledgerKey('r3'), '{"v":1,"tab":"x","last":1,"ack":5,"pending":[],"recent":[]}')
    const r3 = createLedger(storage, 'r3', { newId })
    expect(r3.last).toBe(0)
  })
})
