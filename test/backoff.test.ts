import { describe, expect, it } from 'vitest'
import { retryDelay } from '../src/bridge/backoff'
import { DEFAULTS } from '../src/bridge/options'

describe('retryDelay', () => {
  it('waits nothing before the first attempt', () => {
    expect(retryDelay(0, DEFAULTS)).toBe(0)
  })

  it('doubles from 1 s and stays at 30 s by default (1, 2, 4 … 30 s)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((failures) => retryDelay(failures, DEFAULTS))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
  })

  it('shortens each delay by at most the jitter share', () => {
    const options = { ...DEFAULTS, jitter: 0.5 }
    expect(retryDelay(3, options, () => 0)).toBe(4000)
    expect(retryDelay(3, options, () => 1)).toBe(2000)
    expect(retryDelay(3, options, () => 0.5)).toBe(3000)
  })
})
