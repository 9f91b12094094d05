// Debian's Chromium, started directly with the flags test/browser uses, and no
// DevTools client attached. playwright-core is not used here on purpose: it
// enables the DevTools Network domain, which reports every WebSocket frame to
// the driver, a cost every design would pay and the raw WebSocket most visibly
// (an A/B here: raw ~4,500 msg/s without a driver, ~1,800 under Playwright).
// Pages report their results over HTTP instead (bench/lib/feed-server.mjs).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM, CHROMIUM_ARGS, track, withTimeout } from './common.mjs'

let runs = 0

/**
 * Chromium on `url` with no DevTools client attached (`chromium --headless
 * <url>`, a fresh profile, so fresh sessionStorage). Returns { exited, stop }.
 */
export function openDetached(url, flags = []) {
  const profile = mkdtempSync(join(tmpdir(), 'ws-bridge-bench-chromium-'))
  const child = spawn(CHROMIUM, ['--headless', ...CHROMIUM_ARGS, '--user-data-dir=' + profile, ...flags, url], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group, so the renderer and helpers stop with it
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  track(child, true)
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  const signal = (name) => {
    try {
      process.kill(-child.pid, name)
    } catch {
      // already gone
    }
  }
  // Rejects when Chromium ends on its own; for racing against a wait (never unhandled).
  const died = exited.then((code) => {
    throw new Error('chromium exited (' + code + '): ' + stderr)
  })
  died.catch(() => {})
  return {
    exited: died,
    async stop() {
      signal('SIGTERM')
      await withTimeout(exited, 10000, 'chromium to exit').catch(() => signal('SIGKILL'))
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Runs one plan of bench/pages/feed.js (?auto=…) in its own Chromium; resolves with what the page POSTs to /report. */
export async function runDetached(server, query, { timeoutMs = 120000, flags = [] } = {}) {
  const run = 'r' + ++runs + '-' + process.pid
  const url = server.origin + '/pages/feed.html?' + new URLSearchParams({ ...query, run })
  const browser = openDetached(url, flags)
  try {
    const report = await withTimeout(Promise.race([server.report(run).promise, browser.exited]), timeoutMs, 'page report for ' + url)
    if (!report.ok) throw new Error('page failed: ' + report.error)
    return report.result
  } finally {
    await browser.stop()
  }
}
