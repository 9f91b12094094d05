import { afterEach, describe, expect, it, vi } from 'vitest'
import { guardStorage, memoryStorage, type StorageLike } from '../src/storage/guarded'

const throwing = (message = 'denied'): StorageLike => ({
  getItem() {
    throw new DOMException(message, 'SecurityError')
  },
  setItem() {
    throw new DOMException(message, 'SecurityError')
  },
  removeItem() {
    throw new DOMException(message, 'SecurityError')
  },
})

describe('guarded storage', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    vi.unstubAllGlobals()
  })

  it('falls back to memory when sessionStorage is missing, and says so', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.stubGlobal('sessionStorage', undefined)
    const storage = guardStorage('session')
    expect(storage.kind).toBe('memory')
    expect(storage.problem).toContain('sessionStorage is not available')
    expect(storage.write('k', [1])).toBe(true)
    expect(storage.read('k', Array.isArray)).toEqual([1])
  })

  it('falls back to memory when touching sessionStorage throws', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.stubGlobal('sessionStorage', throwing())
    const storage = guardStorage('session')
    expect(storage.kind).toBe('memory')
    expect(storage.problem).toContain('denied')
  })

  it('switches to memory when a storage starts throwing later, and reports it', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    let broken = false
    const backing = memoryStorage()
    const flaky: StorageLike = {
      getItem: (k) => (broken ? throwing('gone later').getItem(k) : backing.getItem(k)),
      setItem: (k, v) => (broken ? throwing('gone later').setItem(k, v) : backing.setItem(k, v)),
      removeItem: (k) => (broken ? throwing('gone later').removeItem(k) : backing.removeItem(k)),
    }
    const onProblem = vi.fn()
    const storage = guardStorage(flaky, onProblem)
    expect(storage.kind).toBe('custom')
    broken = true
    expect(storage.write('k', 'v')).toBe(true)
    expect(storage.kind).toBe('memory')
    expect(onProblem).toHaveBeenCalledTimes(1)
    expect(storage.read('k', (v): v is string => typeof v === 'string')).toBe('v')
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('reports a full storage to the caller instead of throwing', () => {
    const full: StorageLike = {
      ...memoryStorage(),
      setItem() {
        throw new DOMException('full', 'QuotaExceededError')
      },
    }
    const storage = guardStorage(full)
    expect(storage.write('k', 'v')).toBe(false)
    expect(storage.kind).toBe('custom')
  })

  it('refuses something that is not a storage', () => {
    expect(() => guardStorage({} as StorageLike)).toThrow('option "storage"')
    expect(() => guardStorage('local' as never)).toThrow('option "storage"')
  })
})
