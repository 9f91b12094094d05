// Row 4, Streamlit pushed vs polled: the same example server, event stream and
// scenario, against two tiny apps (bench/apps/), the pushed one in both modes:
//   pushed  ws_bridge(): one WebSocket in the browser, reruns only when pushed;
//           once with frame="v2" (in the page, the default on this Streamlit)
//           and once with frame="iframe" (Components v1)
//   polled  a typical polling loop: GET /rooms/{room}/state, sleep 0.4 s, st.rerun()
// Each run has its own `streamlit run` (headless, free port) with one
// headless Chromium on it. The apps append every script run and every new
// event (id, server ts) with the wall-clock time to a ledger file.
// Scenario, per app:
//   1. latency: K chat events at random 0.3–0.7 s gaps (the same pseudo-random schedule for both);
//      latency = time the script sees the event − the event's server ts
//   2. idle: no events for IDLE s; script runs counted, scaled to a minute
//   3. burst: 1,000 events in 1 s (10 POSTs of 100, 0.1 s apart); runs counted
//      from the first POST until the last event arrived (at least 3 s)
// The example server's /stats are read across the three phases.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDetached } from './lib/browser.mjs'
import { BENCH, CHROMIUM, ROOT, cpuSeconds, freePort, haveChromium, logger, percentile, prng, row, sleep, track, until, withTimeout } from './lib/common.mjs'
import { ExampleServer, havePython } from './lib/example-server.mjs'

const log = logger('streamlit')
const STREAMLIT = join(ROOT, '.venv', 'bin', 'streamlit')
const PACKAGE = join(ROOT, 'python', 'streamlit_ws_bridge', '__init__.py')
const FRAME = join(ROOT, 'python', 'streamlit_ws_bridge', 'frontend', 'build', 'index.html')
const V2 = join(ROOT, 'python', 'streamlit_ws_bridge', 'frontend', 'build', 'v2.js')
/** The runs of the scenario: the pushed app in each mode, and the polling loop. */
const VARIANTS = [
  { name: 'pushed-v2', app: 'pushed_app.py', label: 'pushed v2', env: { WSB_FRAME: 'v2' } },
  { name: 'pushed-iframe', app: 'pushed_app.py', label: 'pushed iframe', env: { WSB_FRAME: 'iframe' } },
  { name: 'polled', app: 'polled_app.py', label: 'polled', env: {} },
]

/** Why the row cannot run here, or null. */
export function unavailable() {
  if (!existsSync(PACKAGE) || !/def ws_bridge\(/.test(readFileSync(PACKAGE, 'utf8'))) return 'component not available (python/streamlit_ws_bridge with ws_bridge())'
  if (!existsSync(FRAME) || !existsSync(V2)) return 'component frame or v2 module not built (npm run build)'
  if (!havePython() || !existsSync(STREAMLIT)) return 'no .venv with streamlit (npm run setup:python)'
  if (!haveChromium()) return 'no Chromium at ' + CHROMIUM + ' (set CHROMIUM_PATH)'
  return null
}

function readLedger(file) {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

export async function startStreamlit(app, env) {
  const port = await freePort()
  const child = spawn(
    STREAMLIT,
    ['run', join(BENCH, 'apps', app), '--server.port', String(port), '--server.address', '127.0.0.1', '--server.headless', 'true',
      '--browser.gatherUsageStats', 'false', '--server.fileWatcherType', 'none', '--server.runOnSave', 'false'],
    { cwd: ROOT, env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  track(child)
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)))
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const origin = 'http://127.0.0.1:' + port
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error('streamlit exited (' + child.exitCode + '): ' + stderr)
        try {
          return (await fetch(origin + '/_stcore/health', { signal: AbortSignal.timeout(2000) })).ok
        } catch {
          return false
        }
      },
      60000,
      'streamlit to answer /_stcore/health',
      200,
    )
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return {
    origin,
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await withTimeout(exited, 15000, 'streamlit to exit').catch(() => child.kill('SIGKILL'))
    },
  }
}

/** The scenario against one variant; returns its measurements. */
async function scenario(server, { name, app, env }, { events, idleSeconds, quick }) {
  const room = 'bench-' + name
  const dir = mkdtempSync(join(tmpdir(), 'ws-bridge-bench-streamlit-'))
  const ledgerFile = join(dir, 'ledger.jsonl')
  const pushed = app === 'pushed_app.py'
  const st = await startStreamlit(app, { ...env, WSB_SERVER: server.origin, WSB_LEDGER: ledgerFile, WSB_ROOM: room })
  const browser = openDetached(st.origin + '/')
  try {
    const ledger = () => readLedger(ledgerFile)
    // Ready: the bridge's socket is in the room (pushed) or the loop runs (polled).
    await withTimeout(
      Promise.race([
        browser.exited,
        until(
          async () =>
            pushed
              ? ledger().some((e) => e.kind === 'events' && e.state === 'connected') && ((await server.stats()).ws_open_by_room[room] || 0) >= 1
              : ledger().filter((e) => e.kind === 'run').length >= 3,
          60000,
          app + ' ready',
          200,
        ),
      ]),
      65000,
      app + ' ready',
    )
    await sleep(quick ? 1000 : 2000) // the join's player_list and the first reruns are over
    const stats0 = await server.stats()
    const driver0 = { requests: server.driverRequests, bytes: server.driverBytes }
    const cpu0 = cpuSeconds(st.pid)
    const start = Date.now()

    // 1. latency
    const random = prng(11)
    const latencyIds = []
    for (let i = 0; i < events; i++) {
      latencyIds.push(...(await server.inject(room, { type: 'message', player: 'bot', text: 'latency probe ' + i })))
      await sleep(300 + random() * 400)
    }
    await sleep(1500)

    // 2. idle
    const idleStats0 = await server.stats()
    const idle0 = Date.now()
    await sleep(idleSeconds * 1000)
    const idle1 = Date.now()
    const idleStats1 = await server.stats()

    // 3. burst: 1,000 events in 1 s
    const burst0 = Date.now()
    const burstIds = []
    for (let i = 0; i < 10; i++) {
      const due = burst0 + i * 100
      if (Date.now() < due) await sleep(due - Date.now())
      burstIds.push(...(await server.inject(room, { type: 'message', count: 100, player: 'bot', text: 'burst ' + i })))
    }
    const wanted = new Set(burstIds)
    const deliveredAt = () => {
      const times = new Map()
      for (const e of ledger()) if (e.kind === 'events') for (const [id] of e.events) if (wanted.has(id) && !times.has(id)) times.set(id, e.t)
      return times
    }
    // Until all arrived; the polled app never gets them all (/state holds the last 50), so stop 3 s after the burst.
    await until(() => deliveredAt().size === wanted.size || Date.now() > burst0 + (pushed ? 20000 : 4000), 25000, 'the burst', 200)
    await sleep(Math.max(0, burst0 + 3000 - Date.now()))
    await sleep(500)
    const stats1 = await server.stats()
    const driver = { requests: server.driverRequests - driver0.requests, bytes: server.driverBytes - driver0.bytes }
    const cpu1 = cpuSeconds(st.pid)

    const entries = ledger()
    const seenAt = new Map()
    const tsOf = new Map()
    for (const e of entries) {
      if (e.kind !== 'events') continue
      for (const [id, ts] of e.events) {
        if (!seenAt.has(id)) seenAt.set(id, e.t)
        tsOf.set(id, ts)
      }
    }
    const latencies = latencyIds.filter((id) => seenAt.has(id)).map((id) => seenAt.get(id) - tsOf.get(id))
    const burstTimes = deliveredAt()
    const burstEnd = Math.max(burst0 + 3000, ...burstTimes.values())
    const runsIn = (from, to) => entries.filter((e) => e.kind === 'run' && e.t >= from && e.t <= to).length
    const diff = (a, b) => ({
      http: b.http_requests - a.http_requests,
      wsOut: b.ws_frames_sent - a.ws_frames_sent,
      wsIn: b.ws_frames_received - a.ws_frames_received,
      bytes: b.http_bytes_sent - a.http_bytes_sent + b.ws_bytes_sent - a.ws_bytes_sent,
    })
    return {
      app: name,
      latencyEvents: events,
      latencyDelivered: latencies.length,
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      latencies,
      idleSeconds: (idle1 - idle0) / 1000,
      idleRuns: runsIn(idle0, idle1),
      idleRunsPerMinute: (runsIn(idle0, idle1) * 60000) / (idle1 - idle0),
      idle: diff(idleStats0, idleStats1),
      burstDelivered: burstTimes.size,
      burstRuns: runsIn(burst0, burstEnd),
      burstSeconds: (burstEnd - burst0) / 1000,
      server: diff(stats0, stats1),
      // POST /rooms/{room}/events from this benchmark: not the app's traffic
      driver,
      streamlitCpuSeconds: cpu1 - cpu0,
      scenarioSeconds: (Date.now() - start) / 1000,
    }
  } catch (err) {
    err.message += '\nstreamlit stderr: ' + st.stderr().slice(-2000)
    throw err
  } finally {
    await browser.stop()
    await st.stop()
    if (process.env.BENCH_KEEP_LEDGERS) log('kept', ledgerFile)
    else rmSync(dir, { recursive: true, force: true })
  }
}

/** The rows of one pushed mode against the polling loop. */
function modeRows(pushed, polled, { label, name }, options, detail) {
  const mode = name.replace('pushed-', '')
  const id = (what) => 'streamlit.' + what + '.' + mode
  const ms = (value, text) => ({ label: text, value, unit: 'ms', digits: 0 })
  const idleScale = options.idleSeconds === 60 ? '' : ' (counted over ' + options.idleSeconds + ' s, × ' + (60 / options.idleSeconds).toFixed(0) + ')'
  const traffic = (r) => (r.server.http - r.driver.requests) + ' HTTP, ' + (r.server.wsOut + r.server.wsIn) + ' WS, ' + ((r.server.bytes - r.driver.bytes) / 1000).toFixed(0) + ' kB'
  return [
    row({
      id: id('latency.p50'), bench: 'streamlit', what: 'server → Python latency p50, polled vs pushed ' + mode + ' (' + pushed.latencyEvents + ' events)',
      baseline: ms(polled.latency.p50, 'polled'), ours: ms(pushed.latency.p50, label),
      ratio: polled.latency.p50 / pushed.latency.p50, ratioText: (polled.latency.p50 / pushed.latency.p50).toFixed(1) + '× lower',
      goal: 'pushed ≤ 100 ms', pass: pushed.latency.p50 <= 100, detail,
    }),
    row({
      id: id('latency.p99'), bench: 'streamlit', what: 'server → Python latency p99, polled vs pushed ' + mode,
      baseline: ms(polled.latency.p99, 'polled'), ours: ms(pushed.latency.p99, label),
      ratio: polled.latency.p99 / pushed.latency.p99, ratioText: (polled.latency.p99 / pushed.latency.p99).toFixed(1) + '× lower',
      goal: 'pushed ≤ 250 ms', pass: pushed.latency.p99 <= 250,
    }),
    row({
      id: id('idle-runs'), bench: 'streamlit', what: 'script runs per idle minute, ' + mode + idleScale,
      baseline: { label: 'polled', value: polled.idleRunsPerMinute, unit: 'runs', digits: 0 }, ours: { label, value: pushed.idleRunsPerMinute, unit: 'runs', digits: 0 },
      ratioText: pushed.idleRuns === 0 ? 'none' : (polled.idleRunsPerMinute / pushed.idleRunsPerMinute).toFixed(1) + '× fewer',
      goal: 'pushed: 0 (polling: 150)', pass: pushed.idleRuns === 0,
      note: 'idle game-server traffic: polled ' + polled.idle.http + ' HTTP requests, ' + label + ' ' + pushed.idle.http + ' HTTP + ' + (pushed.idle.wsIn + pushed.idle.wsOut) + ' WS frames',
    }),
    row({
      id: id('burst'), bench: 'streamlit', what: 'script runs for 1,000 events in 1 s, ' + mode + ' (events that reached Python)',
      baseline: { label: 'polled', value: polled.burstRuns, unit: 'runs, ' + polled.burstDelivered + '/1000', digits: 0 },
      ours: { label, value: pushed.burstRuns, unit: 'runs, ' + pushed.burstDelivered + '/1000', digits: 0 },
      ratioText: pushed.burstDelivered + ' vs ' + polled.burstDelivered + ' delivered',
      goal: 'all delivered, ≤ 15 runs', pass: pushed.burstDelivered === 1000 && pushed.burstRuns <= 15,
      note: 'counted from the first POST until the last event arrived, at least 3 s (' + label + ': ' + pushed.burstSeconds.toFixed(1) + ' s); /state holds only the last 50 messages',
    }),
    row({
      id: id('server'), bench: 'streamlit', what: 'game server, whole scenario, ' + mode + ': HTTP requests, WS messages, bytes sent (the benchmark\'s own event POSTs excluded)',
      baseline: { label: 'polled', value: traffic(polled) }, ours: { label, value: traffic(pushed) }, pass: null,
      note: 'polled = one GET /state per script run; pushed = one WS message per event (the burst included, which polling mostly missed)',
    }),
    row({
      id: id('cpu'), bench: 'streamlit', what: 'Streamlit server CPU seconds for the whole scenario, polled vs pushed ' + mode,
      baseline: { label: 'polled', value: polled.streamlitCpuSeconds, unit: 's' }, ours: { label, value: pushed.streamlitCpuSeconds, unit: 's' },
      ratio: polled.streamlitCpuSeconds / pushed.streamlitCpuSeconds, ratioText: (polled.streamlitCpuSeconds / pushed.streamlitCpuSeconds).toFixed(1) + '× lower', pass: null,
    }),
  ]
}

export async function run({ quick }) {
  // Not a silent skip: the run fails and says what is missing.
  const why = unavailable()
  if (why) throw new Error('cannot run: ' + why)
  const options = { events: quick ? 5 : 40, idleSeconds: quick ? 3 : 20, quick }
  const server = await new ExampleServer({}, 'streamlit').start()
  const results = {}
  try {
    for (const variant of VARIANTS) {
      log(variant.name, '...')
      const r = (results[variant.name] = await scenario(server, variant, options))
      log(variant.name, 'latency p50', r.latency.p50.toFixed(0), 'ms, p99', r.latency.p99.toFixed(0), 'ms;', r.idleRuns, 'idle runs in', r.idleSeconds.toFixed(1), 's; burst',
        r.burstDelivered, '/ 1000 in', r.burstRuns, 'runs; server', JSON.stringify(r.server))
    }
  } finally {
    await server.stop()
  }
  const polled = results.polled
  const pushedVariants = VARIANTS.filter((v) => v.app === 'pushed_app.py')
  for (const { name } of pushedVariants) {
    const r = results[name]
    if (r.latencyDelivered !== r.latencyEvents) throw new Error(name + ' saw ' + r.latencyDelivered + ' of ' + r.latencyEvents + ' latency events')
  }
  const detail = { options, ...results }
  return pushedVariants.flatMap((variant, i) => modeRows(results[variant.name], polled, variant, options, i === 0 ? detail : undefined))
}
