// Row 8, page open → first event in Python, for both ways ws_bridge() can render:
//   iframe  a Components v1 frame (streamlit-component-lib, apache-arrow)
//   v2      Components v2: the module runs in the app's page, no frame
// One example server, one `streamlit run test/streamlit/app.py`, one Chromium.
// The server gets one event every 50 ms all along; each load opens the app in
// a fresh browser context (empty sessionStorage, new Streamlit session), the
// modes alternating load by load so both see the machine alike, after one
// unmeasured warm-up load each. The clock starts just before page.goto() and
// stops when the app's ledger shows the first event handed to that tab's script
// (polled every 5 ms). On the way it notes when the page opened Streamlit's own
// socket, when the script first ran, and when the bridge opened its socket to
// the game server: where the wait goes.
// Alone: node bench/streamlit-startup.mjs [loads per mode, default 12] prints the summary as JSON.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, logger, median, percentile, row, sleep, until } from './lib/common.mjs'
import { ExampleServer } from './lib/example-server.mjs'
import { startStreamlit, unavailable } from './streamlit.mjs'

const log = logger('streamlit-startup')
const ROOM = 'startup'
const MODES = ['iframe', 'v2']
/** The moments of one load, in ms after page.goto() started. */
const STEPS = ['stream', 'firstRun', 'bridgeSocket', 'firstEvent']

const lines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [])
/** The script's first run for this tab (its first line names the tab). */
const firstRun = (file, tab) => lines(file).some((line) => line.includes('"tab": "' + tab + '"'))
const firstEvent = (file, tab) =>
  lines(file).some((line) => line.includes('"kind": "events"') && line.includes('"tab": "' + tab + '"') && !line.includes('"ids": []'))

/** One page load of `mode`: the moments of STEPS. */
async function load(browser, origin, ledger, mode, tab) {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const at = {}
    const start = Date.now()
    page.on('websocket', (ws) => {
      const key = ws.url().includes('/_stcore/stream') ? 'stream' : ws.url().includes('/ws/' + ROOM + '/') ? 'bridgeSocket' : null
      if (key && at[key] === undefined) at[key] = Date.now() - start
    })
    await page.goto(origin + '/?frame=' + mode + '&room=' + ROOM + '&tab=' + tab + '&status=1', { waitUntil: 'commit' })
    await until(() => firstRun(ledger, tab), 60000, 'the first run of ' + tab, 5)
    at.firstRun = Date.now() - start
    await until(() => firstEvent(ledger, tab), 60000, 'the first event of ' + tab, 5)
    at.firstEvent = Date.now() - start
    return at
  } finally {
    await context.close()
  }
}

/** `loads` measured page loads per mode, alternating; the summary per mode. */
export async function measure(loads) {
  const dir = mkdtempSync(join(tmpdir(), 'ws-bridge-bench-startup-'))
  const ledger = join(dir, 'ledger.jsonl')
  const server = await new ExampleServer({}, 'streamlit-startup').start()
  let app
  let browser
  let ticking = true
  let ticker = Promise.resolve()
  try {
    // startStreamlit runs apps from bench/apps/: the test app is reached from there.
    app = await startStreamlit(join('..', '..', 'test', 'streamlit', 'app.py'), { WSB_SERVER: server.origin, WSB_LEDGER: ledger })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    ticker = (async () => {
      while (ticking) {
        await server.inject(ROOM, { type: 'tick', count: 1 })
        await sleep(50)
      }
    })()
    const samples = { iframe: [], v2: [] }
    for (let i = -1; i < loads; i++) {
      for (const mode of i % 2 ? MODES : [...MODES].reverse()) {
        const tab = mode + '-' + (i + 1)
        const at = await load(browser, app.origin, ledger, mode, tab)
        if (i >= 0) samples[mode].push(at)
        log(tab + ': ' + STEPS.map((step) => step + ' ' + at[step] + ' ms').join(', ') + (i < 0 ? ' (warm-up)' : ''))
      }
    }
    const summary = {}
    for (const mode of MODES) {
      const of = (step) => samples[mode].map((at) => at[step]).filter((ms) => ms !== undefined)
      summary[mode] = { loads: samples[mode].length, median: median(of('firstEvent')), p90: percentile(of('firstEvent'), 90), samples: of('firstEvent') }
      for (const step of STEPS.slice(0, 3)) summary[mode][step + 'Median'] = median(of(step))
    }
    summary.ratioMedian = summary.v2.median / summary.iframe.median
    summary.ratioP90 = summary.v2.p90 / summary.iframe.p90
    return summary
  } finally {
    ticking = false
    await ticker
    if (browser) await browser.close()
    if (app) await app.stop()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run({ quick }) {
  const why = unavailable()
  if (why) throw new Error('cannot run: ' + why)
  const loads = quick ? 3 : 12
  const s = await measure(loads)
  const ms = (value, label) => ({ label, value, unit: 'ms', digits: 0 })
  const steps = (mode) => 'Streamlit socket ' + s[mode].streamMedian + ' ms, first run ' + s[mode].firstRunMedian + ' ms, bridge socket ' + s[mode].bridgeSocketMedian + ' ms'
  return [
    row({
      id: 'streamlit-startup.median', bench: 'streamlit-startup', what: 'page open → first event in Python, median of ' + loads + ' loads each, iframe vs v2 (alternating, fresh context each)',
      baseline: ms(s.iframe.median, 'iframe'), ours: ms(s.v2.median, 'v2'), ratio: s.ratioMedian, ratioText: s.ratioMedian.toFixed(2) + '×',
      goal: 'v2 ≤ 0.5× iframe', pass: s.ratioMedian <= 0.5, detail: s,
      note: 'medians on the way (from page open): iframe ' + steps('iframe') + '; v2 ' + steps('v2'),
    }),
    row({
      id: 'streamlit-startup.p90', bench: 'streamlit-startup', what: 'page open → first event in Python, p90, iframe vs v2',
      baseline: ms(s.iframe.p90, 'iframe'), ours: ms(s.v2.p90, 'v2'), ratio: s.ratioP90, ratioText: s.ratioP90.toFixed(2) + '×', pass: null,
    }),
    row({
      id: 'streamlit-startup.first-run', bench: 'streamlit-startup', what: 'page open → the script\'s first run, median (before any component code can run)',
      baseline: ms(s.iframe.firstRunMedian, 'iframe'), ours: ms(s.v2.firstRunMedian, 'v2'), pass: null,
    }),
    row({
      id: 'streamlit-startup.bridge-socket', bench: 'streamlit-startup', what: 'page open → the bridge opens its WebSocket, median',
      baseline: ms(s.iframe.bridgeSocketMedian, 'iframe'), ours: ms(s.v2.bridgeSocketMedian, 'v2'),
      ratio: s.v2.bridgeSocketMedian / s.iframe.bridgeSocketMedian, ratioText: (s.v2.bridgeSocketMedian / s.iframe.bridgeSocketMedian).toFixed(2) + '×', pass: null,
    }),
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summary = await measure(Number(process.argv[2] || 12))
  console.log(JSON.stringify(summary))
}
