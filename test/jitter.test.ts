// `jitter` inside a running bridge: each wait before a retry is shortened by
// jitter × a random share, and the next attempt comes exactly then. Fake clock,
// real refused connections.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { closedPort, drain, settle, useFakeClock } from './helpers/fake-time'

let current: Recorded | undefined

afterEach(() => {
  current?.bridge.close()
  current = undefined
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** The waits of the first `count` retries, each checked to end exactly when the next attempt starts. */
async function retryWaits(options: Parameters<typeof startBridge>[0], count: number): Promise<number[]> {
  const recorded = (current = startBridge(options))
  const waits: number[] = []
  let attempts = 0
  recorded.bridge.on('status', (s, old) => {
    if (s.retryAt !== null && s.retryAt !== old.retryAt) waits.push(s.retryAt - Date.now())
    if (s.state === 'connecting' && old.state !== 'connecting') attempts++
  })
  for (let i = 0; i < count; i++) {
    await settle(() => waits.length === i + 1, 'retry ' + (i + 1))
    const before = attempts
    if (waits[i] > 0) {
      vi.advanceTimersByTime(waits[i] - 1)
      await drain(20)
      expect(attempts, 'no attempt before the wait is over').toBe(before)
      vi.advanceTimersByTime(1)
    }
    await settle(() => attempts === before + 1, 'attempt after wait ' + (i + 1))
  }
  return waits.slice(0, count)
}

describe('jitter in the bridge', () => {
  it('shortens each backoff wait by jitter × the random share', async () => {
    useFakeClock()
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const waits = await retryWaits({ url: 'ws://127.0.0.1:' + (await closedPort()), jitter: 0.5 }, 7)
    // 1 s, 2 s, 4 s … 30 s, each × (1 − 0.5 × 0.5).
    expect(waits).toEqual([750, 1500, 3000, 6000, 12000, 22500, 22500])
  })

  it('waits the exact backoff with jitter 0, and close to none with jitter 1 and a random share near 1', async () => {
    useFakeClock()
    const port = await closedPort()
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    expect(await retryWaits({ url: 'ws://127.0.0.1:' + port, jitter: 0 }, 4)).toEqual([1000, 2000, 4000, 8000])
    current?.bridge.close()
    expect(await retryWaits({ url: 'ws://127.0.0.1:' + port, jitter: 1, room: 'r2' }, 4)).toEqual([1, 2, 4, 8])
  })

  it('spreads the waits within [(1 − jitter) × backoff, backoff] with the real Math.random', async () => {
    useFakeClock()
    const waits = await retryWaits({ url: 'ws://127.0.0.1:' + (await closedPort()), jitter: 0.4, retryDelay: 1000, maxRetryDelay: 1000 }, 20)
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(600)
      expect(wait).toBeLessThanOrEqual(1000)
    }
    // Twenty draws of a continuous share: they are not all the same.
    expect(new Set(waits).size).toBeGreaterThan(1)
  })
})
