// Shared helpers for the benchmarks: paths, statistics, result rows, time limits,
// process CPU time. No benchmark logic here.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const ROOT = resolve(BENCH, '..')
export const DIST = {
  script: join(ROOT, 'dist', 'ws-bridge.min.js'),
  esm: join(ROOT, 'dist', 'index.mjs'),
  component: join(ROOT, 'python', 'streamlit_ws_bridge', 'frontend', 'build', 'component.js'),
}
export const PYTHON = join(ROOT, '.venv', 'bin', 'python')
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
// The flags test/browser uses: no sandbox (root in CI), nothing that phones home.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Rejects after `ms` with a message naming `what`, so a hang becomes a readable failure. */
export async function withTimeout(promise, ms, what) {
  let timer
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out after ' + ms + ' ms: ' + what)), ms)
  })
  try {
    return await Promise.race([promise, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `check` (sync or async) every `every` ms until it returns a truthy value, at most `ms`. */
export async function until(check, ms, what, every = 50) {
  const started = Date.now()
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() - started > ms) throw new Error('timed out after ' + ms + ' ms waiting for ' + what)
    await sleep(every)
  }
}

export async function freePort() {
  const server = createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return port
}

/** Deterministic PRNG (mulberry32), so every run injects the same schedule. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function percentile(values, p) {
  if (!values.length) return NaN
  const sorted = values.slice().sort((a, b) => a - b)
  // nearest-rank
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}
/** The middle value, or the mean of the two middle ones. */
export function median(values) {
  if (!values.length) return NaN
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length

/** CPU seconds (user + system, all threads) a live process has used, from /proc/<pid>/stat. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()
export function cpuSeconds(pid) {
  const stat = readFileSync('/proc/' + pid + '/stat', 'utf8')
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

/** Other engineers' browsers or Streamlit servers running beside us make numbers noisy: say so. */
export function otherBrowserRuns() {
  try {
    const out = execFileSync('pgrep', ['-f', 'chromium|streamlit'], { encoding: 'utf8' })
    return out.split('\n').filter((pid) => pid && Number(pid) !== process.pid)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

export const haveChromium = () => existsSync(CHROMIUM)

// Every child process a benchmark starts is registered here and killed if we exit
// before it is stopped (a crash, a signal, CI's time limit): no server or browser
// outlives the run. `group`: the child leads its own process group (detached).
const children = new Map()
export function track(child, group = false) {
  children.set(child.pid, group)
  child.on('exit', () => children.delete(child.pid))
  return child
}
process.on('exit', () => {
  for (const [pid, group] of children) {
    try {
      process.kill(group ? -pid : pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

// ---------------------------------------------------------------------------
// Result rows. Every benchmark returns rows of this shape; run.mjs prints and saves them.
//   { id, bench, what, baseline: {label, value, unit}, ours: {label, value, unit},
//     ratio, ratioText, goal, pass (true | false | null = reference only), note, detail }

export function row(fields) {
  const r = {
    id: fields.id,
    bench: fields.bench,
    what: fields.what,
    baseline: fields.baseline || null,
    ours: fields.ours || null,
    ratio: fields.ratio === undefined ? null : fields.ratio,
    ratioText: fields.ratioText || null,
    goal: fields.goal || null,
    pass: fields.pass === undefined ? null : fields.pass,
    note: fields.note || '',
  }
  if (fields.detail) r.detail = fields.detail
  if (r.ratio !== null && !r.ratioText) r.ratioText = Number.isFinite(r.ratio) ? fmt(r.ratio, r.ratio >= 100 ? 0 : 2) + '×' : '∞'
  return r
}

export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  if (typeof value !== 'number') return String(value)
  if (!Number.isFinite(value)) return '∞'
  const fixed = Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toFixed(digits))
  return fixed.toLocaleString('en-US', { maximumFractionDigits: digits })
}

export const valueText = (v) => (v ? (v.label ? v.label + ' ' : '') + fmt(v.value, v.digits ?? 2) + (v.unit ? ' ' + v.unit : '') : '—')

/** A logger that prefixes the benchmark's name, on stderr (stdout carries the table). */
export const logger = (name) => (...args) => console.error('[bench:' + name + ']', ...args)

// One keep-alive connection: a benchmark's publishes go in order, and a new TCP connection per
// event would cost the server measured more than the event itself.
const oneConnection = new http.Agent({ keepAlive: true, maxSockets: 1 })
/** POSTs a JSON text; resolves once answered with a status below 400. */
export function postJson(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: oneConnection, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode < 400 ? resolve() : reject(new Error('POST ' + url + ' → ' + res.statusCode))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Calls `fn(k)` for k = 0..count-1, the k-th no earlier than k/rate s after the first: a fixed event rate. */
export async function paced(count, rate, fn) {
  const t0 = performance.now()
  for (let k = 0; k < count; k++) {
    const wait = t0 + (k * 1000) / rate - performance.now()
    if (wait > 0) await sleep(wait)
    await fn(k)
  }
}
