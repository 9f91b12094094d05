import { errorText, warnOnce } from '../warn'

/** What the bridge needs of a Storage: sessionStorage, localStorage, or your own. */
export interface StorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export type StorageChoice = 'session' | 'memory' | StorageLike

/** Where data lives now: 'memory' also after a storage failure, with `problem` saying why. */
export type StorageKind = 'session' | 'memory' | 'custom'

export function memoryStorage(): StorageLike {
  const items = new Map<string, string>()
  return {
    getItem: (key) => (items.has(key) ? (items.get(key) as string) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  }
}

export function isQuotaError(err: unknown): boolean {
  const e = err as { name?: string; code?: number } | null
  return !!e && (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22 || e.code === 1014)
}

/**
 * Storage access that never throws at the caller: values are JSON, a value
 * that fails its check is removed with one warning, and a storage that throws
 * (disabled, sandboxed, gone) is swapped for memory and reported in `problem`.
 * A full storage is the caller's to handle: write() returns false on quota.
 */
export interface GuardedStorage {
  readonly kind: StorageKind
  readonly problem: string | null
  read<T>(key: string, isValid: (value: unknown) => value is T): T | undefined
  write(key: string, value: unknown): boolean
  remove(key: string): void
}

function openSessionStorage(): StorageLike {
  // Merely reading window.sessionStorage throws in sandboxed frames and with storage disabled.
  const storage = (globalThis as { sessionStorage?: StorageLike }).sessionStorage
  if (!storage) throw new Error('sessionStorage is not available here')
  const probe = '__ws_bridge_probe__'
  storage.setItem(probe, '1')
  storage.removeItem(probe)
  return storage
}

export function guardStorage(choice: StorageChoice, onProblem: (problem: string) => void = () => {}): GuardedStorage {
  let backend: StorageLike
  let kind: StorageKind
  let problem: string | null = null

  const fallBack = (what: string, err: unknown) => {
    backend = memoryStorage()
    kind = 'memory'
    problem = what + ' failed (' + errorText(err) + '); keeping data in memory for this page'
    warnOnce(problem)
    onProblem(problem)
  }

  if (choice === 'memory') {
    backend = memoryStorage()
    kind = 'memory'
  } else if (choice === 'session') {
    backend = memoryStorage()
    kind = 'session'
    try {
      backend = openSessionStorage()
    } catch (err) {
      fallBack('sessionStorage', err)
    }
  } else if (choice && typeof choice.getItem === 'function' && typeof choice.setItem === 'function' && typeof choice.removeItem === 'function') {
    backend = choice
    kind = 'custom'
  } else {
    throw new TypeError('[ws-bridge] option "storage" must be "session", "memory" or a Storage-like object')
  }

  return {
    get kind() {
      return kind
    },
    get problem() {
      return problem
    },
    read(key, isValid) {
      let text: string | null
      try {
        text = backend.getItem(key)
      } catch (err) {
        fallBack('reading storage', err)
        return undefined
      }
      if (text === null) return undefined
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        value = undefined
      }
      if (isValid(value)) return value
      warnOnce('"' + key + '" held data this library did not write; it was reset')
      this.remove(key)
      return undefined
    },
    write(key, value) {
      const text = JSON.stringify(value)
      try {
        backend.setItem(key, text)
        return true
      } catch (err) {
        if (isQuotaError(err)) return false
        fallBack('writing storage', err)
        backend.setItem(key, text)
        return true
      }
    },
    remove(key) {
      try {
        backend.removeItem(key)
      } catch (err) {
        fallBack('removing from storage', err)
      }
    },
  }
}
