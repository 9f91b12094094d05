import { errorText } from '../warn'

/** Response header by which the server says it cut its answer short (X-WS-Bridge-More: 1; header names ignore case). */
export const MORE_HEADER = 'x-ws-bridge-more'
/** Pages fetched back to back at most: a server that always says "more" cannot spin the loop. */
export const MAX_PAGES = 100

export interface PollerOptions {
  /**
   * The URL of the next poll, carrying the last id held: the endpoint answers what came after it.
   * Asked before every poll, so that it may carry a fresh token; a rejection fails that poll only.
   */
  url: () => Promise<string>
  interval: number
  fetch: typeof fetch
  isOnline: () => boolean
  received: (messages: unknown[]) => void
  error: (message: string) => void
}

export interface Poller {
  /** Starts polling unless it runs already; true when it started. */
  start(): boolean
  /** Stops polling and abandons a poll in flight; nothing when stopped already. */
  stop(): void
}

/** Fallback polling: GET url?since=<last id> now and every interval, pages back to back, until stopped. */
export function createPoller(options: PollerOptions): Poller {
  let stopLoop: (() => void) | null = null

  // One loop per start(): its own timers and flag, so a poll of a stopped loop that returns late does nothing.
  function loop() {
    let live = true
    // The one pending timer of the loop: the next poll while waiting, the abandon while a poll runs.
    let timer: ReturnType<typeof setTimeout> | undefined
    let controller = new AbortController()

    // `pages`: how many more may follow at once after this one.
    async function poll(pages: number) {
      let delay = options.interval
      if (options.isOnline()) {
        controller = new AbortController()
        // A poll must never hang the feed: it is abandoned when the next one is due.
        timer = setTimeout(() => controller.abort(), delay)
        try {
          const url = await options.url()
          // Called unbound: the browser's fetch throws "Illegal invocation" when `this` is not the window.
          const get = options.fetch
          const response = await get(url, { signal: controller.signal, cache: 'no-store' })
          // A 401 or 403 (token or Origin refused) fails this poll only: the next one asks for the URL again.
          if (!response.ok) throw new Error('HTTP ' + response.status)
          const body: unknown = await response.json()
          if (!Array.isArray(body)) throw new Error('not a JSON array')
          if (live) options.received(body)
          // The server cut its answer short: the next page at once, with the newer since.
          if (body.length && pages && response.headers.get(MORE_HEADER) === '1') delay = 0
        } catch (err) {
          if (live) options.error('poll failed: ' + errorText(err))
        } finally {
          clearTimeout(timer)
        }
      }
      if (live) timer = setTimeout(() => poll(delay ? MAX_PAGES - 1 : pages - 1), delay)
    }

    void poll(MAX_PAGES - 1)
    return () => {
      live = false
      clearTimeout(timer)
      controller.abort()
    }
  }

  return {
    start() {
      if (stopLoop) return false
      stopLoop = loop()
      return true
    },
    stop() {
      stopLoop?.()
      stopLoop = null
    },
  }
}
