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

/** QuotaExceededError in most browsers, NS_ERROR_DOM_QUOTA_REACHED in old Firefox, code 22 in old WebKit. */
export const isQuotaError = (err: unknown): boolean =>
  !!err && (/quota/i.test((err as Error).name) || (err as { code?: number }).code === 22)

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
  /** The stored text as it is, null when there is none. */
  readText(key: string): string | null
  write(key: string, value: unknown): boolean
  /** write() for a value already serialized as JSON text. */
  writeText(key: string, text: string): boolean
  remove(key: string): void
}

/** A storage option that is none of 'session', 'memory' and a Storage-like object is refused, before anything opens. */
export function checkStorage(choice: StorageChoice): void {
  if (choice !== 'session' && choice !== 'memory' && (!choice || typeof choice.setItem !== 'function')) {
    throw new TypeError('[ws-bridge] option "storage" must be "session", "memory" or a Storage-like object')
  }
}

/** checkStorage, then openStorage. */
export function guardStorage(choice: StorageChoice, onProblem?: (problem: string) => void): GuardedStorage {
  checkStorage(choice)
  return openStorage(choice, onProblem)
}

/**
 * guardStorage for a choice known to be valid (checked by connect(), or a constant):
 * the host modules' code paths never carry the check and its message.
 */
export function openStorage(choice: StorageChoice, onProblem: (problem: string) => void = () => {}): GuardedStorage {
  let backend = memoryStorage()
  let kind: StorageKind = 'memory'
  let problem: string | null = null

  const fallBack = (err: unknown) => {
    backend = memoryStorage()
    kind = 'memory'
    problem = 'storage failed (' + errorText(err) + '); data is kept in memory for this page'
    warnOnce(problem)
    onProblem(problem)
  }
  // Runs an access; if the storage throws, moves to memory and runs it there.
  const guarded = <T>(access: () => T): T => {
    try {
      return access()
    } catch (err) {
      fallBack(err)
      return access()
    }
  }

  if (choice === 'session') {
    try {
      // Merely reading window.sessionStorage throws in sandboxed frames and with storage disabled.
      const session = (globalThis as { sessionStorage?: StorageLike }).sessionStorage
      if (!session) throw new Error('sessionStorage is not available')
      session.setItem('__ws_bridge_probe__', '1')
      session.removeItem('__ws_bridge_probe__')
      backend = session
      kind = 'session'
    } catch (err) {
      fallBack(err)
    }
  } else if (choice !== 'memory') {
    backend = choice
    kind = 'custom'
  }

  return {
    get kind() {
      return kind
    },
    get problem() {
      return problem
    },
    readText: (key) => guarded(() => backend.getItem(key)),
    read(key, isValid) {
      const text = this.readText(key)
      if (text === null) return undefined
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        // corrupt: reset below
      }
      if (isValid(value)) return value
      warnOnce('reset "' + key + '": it held data this library did not write')
      this.remove(key)
      return undefined
    },
    write(key, value) {
      return this.writeText(key, JSON.stringify(value))
    },
    writeText(key, text) {
      try {
        backend.setItem(key, text)
      } catch (err) {
        if (isQuotaError(err)) return false
        fallBack(err)
        backend.setItem(key, text)
      }
      return true
    },
    remove(key) {
      guarded(() => backend.removeItem(key))
    },
  }
}
