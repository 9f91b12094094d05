export interface PageHandlers {
  /** The page is going away or into the back-forward cache. */
  hide(): void
  /** The network, the user or the page (back from the back-forward cache) is back: connect now, not after the backoff. */
  wake(): void
}

/** Listens to the page events a mobile-safe connection needs; returns the function that stops listening. */
export function watchPage(win: Window, handlers: PageHandlers): () => void {
  const listening = new AbortController()
  const on = (target: EventTarget, type: string, listener: (event: Event) => void) =>
    target.addEventListener(type, listener, { signal: listening.signal })
  on(win, 'pagehide', handlers.hide)
  on(win, 'pageshow', (event) => {
    if ((event as PageTransitionEvent).persisted) handlers.wake()
  })
  on(win, 'online', handlers.wake)
  on(win.document, 'visibilitychange', () => {
    if (win.document.visibilityState === 'visible') handlers.wake()
  })
  return () => listening.abort()
}
