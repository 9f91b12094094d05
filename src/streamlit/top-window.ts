// The window that gets _wsDebug: the app's top window when the frame may touch
// it (Streamlit serves components from the app's origin), else the frame itself.

export function debugWindow(self: Window): Window {
  for (const candidate of [self.top, self.parent]) {
    if (!candidate || candidate === self) continue
    try {
      // Reading a property of a cross-origin window throws; then try the next one.
      void candidate.location.href
      return candidate
    } catch {
      // not same-origin
    }
  }
  return self
}
