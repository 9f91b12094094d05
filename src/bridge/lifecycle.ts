export interface PageHandlers {
  /** The page is going away or into the back-forward cache. */
  hide(): void
  /** The page came back from the back-forward cache. */
  restore(): void
  /** The network or the user is back: try now rather than after the backoff. */
  wake(): void
}

/** Listens to the page events a mobile-safe connection needs; returns the function that stops listening. */
export function watchPage(win: Window, handlers: PageHandlers): () => void {
  const doc = win.document
  const onHide = () => handlers.hide()
  const onShow = (event: PageTransitionEvent) => {
    if (event.persisted) handlers.restore()
  }
  const onOnline = () => handlers.wake()
  const onVisibility = () => {
    if (doc.visibilityState === 'visible') handlers.wake()
  }
  win.addEventListener('pagehide', onHide)
  win.addEventListener('pageshow', onShow)
  win.addEventListener('online', onOnline)
  doc.addEventListener('visibilitychange', onVisibility)
  return () => {
    win.removeEventListener('pagehide', onHide)
    win.removeEventListener('pageshow', onShow)
    win.removeEventListener('online', onOnline)
    doc.removeEventListener('visibilitychange', onVisibility)
  }
}
