// What a real-Streamlit suite needs before it can run: Chromium, Streamlit in
// .venv with the package installed, and the built component frame.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** The missing pieces, each with the command that provides it; empty when all are there. */
export function streamlitMissing(python: string, streamlit: string, chromium: string): string[] {
  const missing: string[] = []
  if (!existsSync(chromium)) missing.push(chromium)
  if (!existsSync(streamlit)) missing.push(streamlit + ' (run: node scripts/setup-python.mjs)')
  else if (spawnSync(python, ['-c', 'import streamlit_ws_bridge'], { stdio: 'ignore' }).status !== 0) {
    missing.push('streamlit_ws_bridge in .venv (run: node scripts/setup-python.mjs)')
  }
  if (!existsSync('python/streamlit_ws_bridge/frontend/build/component.js')) missing.push('the component build (run: npm run build)')
  return missing
}
