// Page open → first event in Python, for both ways ws_bridge() can render:
//   iframe  a Components v1 frame (streamlit-component-lib, apache-arrow)
//   v2      Components v2: the module runs in the app's page, no frame
// One example server, one `streamlit run test/streamlit/app.py`, one Chromium.
// The server gets one event every 50 ms all along; each load opens the app in
// a fresh browser context (empty sessionStorage, new Streamlit session), the
// modes alternating load by load so both see the machine alike, after one
// unmeasured warm-up load each. The clock starts just before page.goto() and
// stops when the app's ledger shows the first event handed to that tab's script
// (polled every 5 ms). Usage: node bench/streamlit-startup.mjs [loads per mode, default 12]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, ROOT, logger, median, percentile, sleep, until } from './lib/common.mjs'
import { ExampleServer } from './lib/example-server.mjs'
import { startStreamlit } from './streamlit.mjs'

const log = logger('streamlit-startup')
const loads = Number(process.argv[2] || 12)
const room = 'startup'

const lines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [])
/** The script's first run for this tab (its first line names the tab). */
const firstRun = (file, tab) => lines(file).some((line) => line.includes('"tab": "' + tab + '"'))
const firstEvent = (file, tab) =>
  lines(file).some((line) => line.includes('"kind": "events"') && line.includes('"tab": "' + tab + '"') && !line.includes('"ids": []'))

const dir = mkdtempSync(join(tmpdir(), 'ws-bridge-bench-startup-'))
const ledger = join(dir, 'ledger.jsonl')
const server = await new ExampleServer().start()
let app
let browser
let ticking = true
try {
  // startStreamlit runs apps from bench/apps/: the test app is reached from there.
  app = await startStreamlit(join('..', '..', 'test', 'streamlit', 'app.py'), { WSB_SERVER: server.origin, WSB_LEDGER: ledger })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const ticker = (async () => {
    while (ticking) {
      await server.inject(room, { type: 'tick', count: 1 })
      await sleep(50)
    }
  })()
  const times = { iframe: [], v2: [] }
  // Page open → the script's first run: the part of the wait before the component can do anything.
  const runs = { iframe: [], v2: [] }
  const order = ['iframe', 'v2']
  for (let i = -1; i < loads; i++) {
    for (const mode of i % 2 ? order : [...order].reverse()) {
      const tab = mode + '-' + (i + 1)
      const context = await browser.newContext()
      const page = await context.newPage()
      const start = Date.now()
      await page.goto(app.origin + '/?frame=' + mode + '&room=' + room + '&tab=' + tab + '&status=1', { waitUntil: 'commit' })
      await until(() => firstRun(ledger, tab), 60000, 'the first run of ' + tab, 5)
      const run = Date.now() - start
      await until(() => firstEvent(ledger, tab), 60000, 'the first event of ' + tab, 5)
      const ms = Date.now() - start
      await context.close()
      if (i >= 0) times[mode].push(ms)
      if (i >= 0) runs[mode].push(run)
      log(tab + ': first run ' + run + ' ms, first event ' + ms + ' ms' + (i < 0 ? ' (warm-up)' : ''))
    }
  }
  ticking = false
  await ticker
  const summary = Object.fromEntries(Object.entries(times).map(([mode, ms]) => [mode, { loads: ms.length, median: median(ms), p90: percentile(ms, 90), firstRunMedian: median(runs[mode]), samples: ms }]))
  summary.ratioMedian = summary.v2.median / summary.iframe.median
  summary.ratioP90 = summary.v2.p90 / summary.iframe.p90
  console.log(JSON.stringify(summary))
} finally {
  ticking = false
  if (browser) await browser.close()
  if (app) await app.stop()
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
