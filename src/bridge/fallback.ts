import { errorText } from '../warn'

export interface PollerOptions {
  /** The URL of the next poll, carrying the last id held: the endpoint answers what came after it. */
  url: () => string
  interval: number
  fetch: typeof fetch
  isOnline: () => boolean
  received: (messages: unknown[]) => void
  error: (message: string) => void
}

export interface Poller {
  readonly running: boolean
  start(): void
  stop(): void
}

/** Fallback polling: GET url?since=<last id> now and every interval, until stopped. */
export function createPoller(options: PollerOptions): Poller {
  // Each start() begins a new loop; a poll of an older loop that returns late is ignored.
  let loop = 0
  let running = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: AbortController | null = null
  let abortTimer: ReturnType<typeof setTimeout> | undefined

  async function poll(mine: number) {
    if (options.isOnline()) {
      const controller = (inFlight = new AbortController())
      // A poll must never hang the feed: it is abandoned when the next one is due.
      abortTimer = setTimeout(() => controller.abort(), options.interval)
      try {
        // Called unbound: the browser's fetch throws "Illegal invocation" when `this` is not the window.
        const get = options.fetch
        const response = await get(options.url(), { signal: controller.signal, cache: 'no-store' })
        if (!response.ok) throw new Error('HTTP ' + response.status)
        const body: unknown = await response.json()
        if (!Array.isArray(body)) throw new Error('not a JSON array')
        if (mine === loop) options.received(body)
      } catch (err) {
        if (mine === loop) options.error('poll failed: ' + errorText(err))
      } finally {
        clearTimeout(abortTimer)
      }
    }
    if (mine === loop) timer = setTimeout(() => poll(mine), options.interval)
  }

  return {
    get running() {
      return running
    },
    start() {
      if (running) return
      running = true
      void poll(++loop)
    },
    stop() {
      running = false
      loop++
      clearTimeout(timer)
      clearTimeout(abortTimer)
      inFlight?.abort()
      inFlight = null
    },
  }
}
