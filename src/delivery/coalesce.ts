// Pure throttle for setComponentValue: every send reruns the Streamlit script,
// so changes are gathered into at most one send per window, none while idle.

export interface Clock {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface Coalescer {
  /** Something changed that Python should see: a send follows, at most one per window. */
  mark(): void
  /** Sends may start (Streamlit drops values sent before the component is ready). */
  ready(): void
  /** A new window length, in ms; it applies from the next send on. */
  setInterval(ms: number): void
  /** No more sends. */
  dispose(): void
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * Calls `flush` after mark(): on the next task when the last flush is a window
 * old, else when the window ends. Marks made meanwhile ride along, so nothing
 * marked is ever left unflushed and no two flushes are closer than `interval`.
 */
export function createCoalescer(flush: () => void, interval: number, clock: Clock = realClock): Coalescer {
  let isReady = false
  let dirty = false
  let disposed = false
  let lastFlush = -Infinity
  let timer: unknown = undefined

  function run() {
    timer = undefined
    if (!dirty || disposed) return
    dirty = false
    lastFlush = clock.now()
    flush()
  }

  function schedule() {
    if (!isReady || !dirty || disposed || timer !== undefined) return
    // Always on a later task: changes of the same task go out together.
    timer = clock.setTimeout(run, Math.max(0, lastFlush + interval - clock.now()))
  }

  return {
    mark() {
      dirty = true
      schedule()
    },
    ready() {
      isReady = true
      schedule()
    },
    setInterval(ms) {
      interval = ms
    },
    dispose() {
      disposed = true
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
    },
  }
}
