import { describe, expect, it } from 'vitest'
import type { Reset } from '../../src/bridge/reset'
import { memoryStorage } from '../../src/storage/guarded'
import { createLedger } from '../../src/delivery/ledger'

const reset: Reset = { since: 'A-2', resume: 'B-0', reason: 'epoch', at: 1, dropped: 2 }
const describeEntries = (entries: ReturnType<ReturnType<typeof createLedger>['pending']>) =>
  entries.map((entry) => ('reset' in entry ? entry.seq + ':reset ' + entry.reset.resume : entry.seq + ':' + entry.event.id))

describe('a reset in the ledger', () => {
  it('is numbered in line with the messages, once, and lets the ids of the lost history count as new', () => {
    const ledger = createLedger(memoryStorage(), 'r1', { newId: () => 'tab' })
    ledger.add({ id: 'e1' })
    ledger.add({ id: 'e2' })
    ledger.reset(reset)
    // A server that lost its state may number anew: e1 after the reset is another event.
    expect(ledger.add({ id: 'e1' })).toBe(true)
    expect(ledger.add({ id: 'e1' })).toBe(false)
    expect(describeEntries(ledger.pending())).toEqual(['1:e1', '2:e2', '3:reset B-0', '4:e1'])
    ledger.acknowledge('tab', 3)
    expect(describeEntries(ledger.pending())).toEqual(['4:e1'])
  })

  it('survives a reload and a second frame of the tab writing meanwhile: each item numbered once', () => {
    const storage = memoryStorage()
    const a = createLedger(storage, 'r1', { newId: () => 'tab' })
    const b = createLedger(storage, 'r1', { newId: () => 'other' })
    a.add({ id: 'e1' })
    a.reset(reset)
    b.add({ id: 'x1' })
    b.flush()
    a.flush()
    const reloaded = createLedger(storage, 'r1', { newId: () => 'new' })
    expect(describeEntries(reloaded.pending())).toEqual(['1:x1', '2:e1', '3:reset B-0'])
  })
})
