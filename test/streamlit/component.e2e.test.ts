// The iframe component (frame="iframe") in a real Streamlit (the main .venv's,
// the newest version test/streamlit/versions.json pins) and a real Chromium,
// against the example game server; the example app's cases run in both modes
// (v2, its default there, and the iframe). Every count comes from the server's
// /stats or from the ledger the test app writes; the test waits on conditions
// and never asserts a duration.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { clickRerun, clickRerunEvery, deliverBurst, exampleAppEnv, expectExactlyOnce, FRAME, idleRuns, indicator, MODES, type Mode, printTabs } from './drive'
import { Ledger } from './ledger'
import { adminHeaders, type Proc, startGameServer, startStreamlit, until } from './processes'
import { streamlitMissing } from './requirements'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'

const missing = streamlitMissing(PYTHON, STREAMLIT, executablePath)
if (missing.length && process.env.CI) throw new Error('the real-Streamlit e2e needs: ' + missing.join(', '))
if (missing.length) console.warn('[test/streamlit] skipped, missing: ' + missing.join(', '))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A count in the example app's "Live figures" panel (an st.metric), by its label. */
const figure = async (page: Page, label: string) =>
  Number(((await page.getByTestId('stMetric').filter({ hasText: label }).getByTestId('stMetricValue').first().textContent()) || '').replace(/\D/g, ''))

interface Stats {
  ws_connections_total: number
  ws_connections_open: number
  ws_open_by_room: { [room: string]: number }
}

interface Tab {
  label: string
  room: string
  context: BrowserContext
  page: Page
  /** The component's mode in this tab; none for the plain script-tag page. */
  mode?: Mode
  errors: string[]
}

describe.skipIf(missing.length > 0)('Streamlit component (real Streamlit, real Chromium)', () => {
  let server: Proc & { url: string }
  let testApp: Proc & { url: string }
  /** The example app once per mode: WS_BRIDGE_FRAME is read at its start. */
  const exampleApps: { [mode in Mode]?: Proc & { url: string } } = {}
  let browser: Browser
  let ledgerDir: string
  let ledger: Ledger
  /** The game server's persistent event log: a restart keeps its replay log, as a real deployment would. */
  let eventLog: string
  const tabs: Tab[] = []
  const figures: { [name: string]: number } = {}

  // The test publish endpoint and the operator routes (which need the admin token), from this test only.
  const post = async (path: string, body: unknown) => {
    const headers = { 'content-type': 'application/json', ...adminHeaders() }
    const response = await fetch(server.url + path, { method: 'POST', headers, body: JSON.stringify(body) })
    if (!response.ok) throw new Error('POST ' + path + ': HTTP ' + response.status)
    return response.json() as Promise<{ ids?: string[]; [field: string]: unknown }>
  }
  const stats = async (): Promise<Stats> => (await fetch(server.url + '/stats', { headers: adminHeaders() })).json() as Promise<Stats>
  const openSockets = async (room: string) => (await stats()).ws_open_by_room[room] || 0
  /** `count` events in one POST: they reach the browser as one volley. */
  const inject = async (room: string, count: number): Promise<string[]> => (await post('/rooms/' + room + '/events', { type: 'tick', count })).ids || []

  async function openTab(label: string, room: string, query = ''): Promise<Tab> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
    context.setDefaultTimeout(60000)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(testApp.url + '/?room=' + room + '&tab=' + label + query)
    const tab: Tab = { label, room, context, page, mode: 'iframe', errors }
    tabs.push(tab)
    // Python has seen the frame's first value once it renders the connected state.
    await page.getByText('state: connected').waitFor()
    return tab
  }

  /** The tab with this label, opened on first use (so each test also runs alone, with -t). */
  async function tab(label: string, room: string, query = ''): Promise<Tab> {
    return tabs.find((t) => t.label === label) || openTab(label, room, query)
  }
  const TAB_A = () => tab('A', 'ra')
  const TAB_B = () => tab('B', 'rb', '&key=user-key')
  const TAB_C = () => tab('C', 'rc', '&status=0')

  const waitDelivered = (tab: Tab, ids: string[], what: string) =>
    until(() => {
      const got = new Set(ledger.delivered(tab.label))
      return ids.every((id) => got.has(id))
    }, what, 60000)

  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true })
    ledgerDir = mkdtempSync(join(tmpdir(), 'wsb-e2e-'))
    ledger = new Ledger(join(ledgerDir, 'ledger.jsonl'))
    eventLog = join(ledgerDir, 'events.jsonl')
    server = await startGameServer(PYTHON, 0, { eventLog })
    // Started together, but each kept as soon as it is up: when one fails, afterAll still stops the others.
    const started = await Promise.allSettled([
      startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: server.url, WSB_LEDGER: ledger.path }, ['--theme.base', 'dark']).then((p) => (testApp = p)),
      ...MODES.map((mode) => startStreamlit(STREAMLIT, 'examples/streamlit_app.py', exampleAppEnv(server.url, mode), ['--theme.base', 'light']).then((p) => (exampleApps[mode] = p))),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }).then((b) => (browser = b)),
    ])
    for (const result of started) if (result.status === 'rejected') throw result.reason
  }, 120000)

  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => printTabs('component', tabs, [['game server', server], ['test app', testApp],
      ...MODES.map((mode) => ['example app (' + mode + ')', exampleApps[mode]] as const)])))

  afterAll(async () => {
    for (const tab of tabs) await tab.context.close().catch(() => {})
    if (browser) await browser.close().catch(() => {})
    await Promise.all([testApp && testApp.stop(), ...MODES.map((mode) => exampleApps[mode]?.stop()), server && server.stop()])
    if (ledgerDir) rmSync(ledgerDir, { recursive: true, force: true })
    console.log('[test/streamlit] measured: ' + JSON.stringify(figures))
  }, 60000)

  it('shows server events in the app, sets _wsDebug on the top window, and styles the indicator by the theme', async () => {
    const a = await TAB_A()
    const text = 'hello <b>there</b> ' + Date.now()
    await post('/rooms/ra/messages', { player: 'bob', text })
    // Rendered by the Python app, in the page (not the frame), and as text: no <b> element appears.
    await a.page.getByText('bob: ' + text).waitFor()
    expect(await a.page.locator('b', { hasText: 'there' }).count()).toBe(0)

    const debug = await a.page.evaluate(() => {
      const d = (window as unknown as { _wsDebug?: { getStatus(): { state: string; room: string }; ws: WebSocket | null; getMessages(): unknown[] } })._wsDebug
      return d ? { status: d.getStatus(), readyState: d.ws && d.ws.readyState, messages: d.getMessages().length, top: window === window.top } : null
    })
    expect(debug).not.toBeNull()
    expect(debug!.top).toBe(true)
    expect(debug!.status.state).toBe('connected')
    expect(debug!.status.room).toBe('ra')
    expect(debug!.readyState).toBe(1)
    expect(debug!.messages).toBeGreaterThan(0)

    const light = indicator(a.page, 'iframe')
    await expect.poll(() => light.textContent()).toBe('🟢 Connected')
    // The app runs with the dark theme: the indicator takes the theme's text colour, like the app's own text.
    const frameColor = await light.evaluate((el) => getComputedStyle(el).color)
    const appColor = await a.page.getByText('state: connected').evaluate((el) => getComputedStyle(el).color)
    expect(frameColor).toBe(appColor)
    expect(frameColor).not.toBe('rgb(0, 0, 0)')
    expect(a.errors).toEqual([])
  }, 120000)

  it('keeps exactly one WebSocket per tab across ≥ 20 reruns by another widget, with and without a user key', async () => {
    const [b, c] = await Promise.all([TAB_B(), TAB_C()])
    const before = await stats()
    const mark = ledger.mark()
    const injected: { [room: string]: string[] } = { rb: [], rc: [] }
    // 22 reruns by the "rerun" button in each tab, with a few events now and then: the ack
    // passed in the args changes with them, which must not remount the frame either.
    await Promise.all([b, c].map((t) => clickRerun(t.page, ledger, t.label, 22, async (i) => {
      if (i % 5 === 0) injected[t.room].push(...(await inject(t.room, 2)))
    })))
    for (const t of [b, c]) {
      await waitDelivered(t, injected[t.room], 'the events of tab ' + t.label)
      expectExactlyOnce(ledger.delivered(t.label), injected[t.room])
    }
    const after = await stats()
    figures.buttonRerunsB = ledger.clicks('B', mark)
    figures.buttonRerunsC = ledger.clicks('C', mark)
    expect(figures.buttonRerunsB).toBeGreaterThanOrEqual(20)
    expect(figures.buttonRerunsC).toBeGreaterThanOrEqual(20)
    figures.socketsPerTabKeyed = after.ws_open_by_room.rb
    figures.socketsPerTabDerivedKey = after.ws_open_by_room.rc
    expect(after.ws_open_by_room.rb).toBe(1)
    expect(after.ws_open_by_room.rc).toBe(1)
    // No tab connected again: the frames were never remounted.
    expect(after.ws_connections_total - before.ws_connections_total).toBe(0)
    // show_status=False: the frame takes no height.
    const box = await c.page.locator(FRAME).boundingBox()
    expect(box && box.height).toBe(0)
    expect(await b.page.locator(FRAME).count()).toBe(1)
  }, 180000)

  it('delivers events streamed while another widget reruns the script every 30 ms exactly once, in order', async () => {
    const b = await TAB_B()
    const mark = ledger.mark()
    const stop = await clickRerunEvery(b.page, 30)
    const injected: string[] = []
    let clicks = 0
    try {
      for (let volley = 0; volley < 20; volley++) {
        injected.push(...(await inject('rb', 5)))
        await sleep(60)
      }
      // The reruns went on all through the stream: at least 20 runs started while it was sent.
      await until(() => ledger.runs('B', mark) >= 20, '20 runs during the stream', 60000)
    } finally {
      clicks = await stop()
    }
    figures.deliveriesUnderReruns = ledger.deliveries('B', mark)
    await waitDelivered(b, injected, '100 events streamed under 30 ms reruns')
    expectExactlyOnce(ledger.delivered('B'), injected)
    // The reruns really overlapped the stream.
    figures.clicksDuringStream = clicks
    figures.runsDuringStream = ledger.runs('B', mark)
    expect(clicks).toBeGreaterThanOrEqual(20)
    expect(ledger.runs('B', mark)).toBeGreaterThanOrEqual(20)
    expect(await openSockets('rb')).toBe(1)
  }, 120000)

  it('brings a burst of 200 events (50 volleys, 10 ms apart) to Python exactly once, in order, in ≤ 25 reruns, the first volley before the burst ends', async () => {
    const c = await TAB_C()
    const burst = await deliverBurst(ledger, 'C', (count) => inject('rc', count), (ids, what) => waitDelivered(c, ids, what))
    figures.burstReruns = burst.runs
    figures.burstDeliveries = burst.deliveries
    // The other 49 volleys (≥ 490 ms) are coalesced into at most one value per 100 ms window.
    expect(burst.runs).toBeLessThanOrEqual(25)
  }, 120000)

  for (const mode of MODES) {
    it('example app (' + mode + '): chat reaches every player at once (Streamlit and the plain script-tag page), only the live panel reruns (sending or receiving), one socket per tab', async () => {
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 } })
      context.setDefaultTimeout(60000)
      const ann = await context.newPage()
      const annErrors: string[] = []
      ann.on('pageerror', (error) => annErrors.push(error.message))
      const room = 'lobby-e2e-' + mode
      tabs.push({ label: 'example-ann-' + mode, room, context, page: ann, mode, errors: annErrors })
      // The plain script-tag page is the other player in the same room.
      const plainContext = await browser.newContext()
      const cat = await plainContext.newPage()
      const catErrors: string[] = []
      cat.on('pageerror', (error) => catErrors.push(error.message))
      tabs.push({ label: 'script-tag-' + mode, room, context: plainContext, page: cat, errors: catErrors })
      await Promise.all([
        ann.goto(exampleApps[mode]!.url + '/?room=' + room + '&player=ann'),
        cat.goto(pathToFileURL('examples/script-tag.html').href + '?server=' + server.url + '&room=' + room + '&player=cat'),
      ])
      await expect.poll(() => indicator(ann, mode).textContent(), { timeout: 60000 }).toBe('🟢 Connected')
      // v2 (the example's default on this Streamlit) renders in the page: no iframe at all.
      expect(await ann.locator('iframe').count()).toBe(mode === 'iframe' ? 1 : 0)
      await cat.getByText('🟢 Connected').waitFor()
      await ann.getByTestId('stMetric').filter({ hasText: 'Live-panel runs' }).waitFor()
      const runsOf = (label: string) => figure(ann, label)
      const scriptRuns = await runsOf('Script runs')

      // Ann writes from Streamlit (the chat input is in the live panel): both players see it.
      const input = ann.getByPlaceholder('Say something to the room')
      for (let i = 0; i < 2; i++) {
        await input.fill('hello ' + i + ' from ann')
        await input.press('Enter')
        for (const page of [ann, cat]) await page.getByText('ann: hello ' + i + ' from ann').waitFor()
      }
      // Cat writes from the plain page, and a phase change comes from the server: Ann only receives.
      // Whether Ann sends or receives, her live panel reruns and her script does not.
      const panelRuns = await runsOf('Live-panel runs')
      await cat.getByPlaceholder('Say something to the room').fill('meow <i>from</i> the plain page')
      await cat.getByRole('button', { name: 'Send' }).click()
      for (const page of [ann, cat]) await page.getByText('cat: meow <i>from</i> the plain page').waitFor()
      await post('/rooms/' + room + '/phase', { phase: 'voting', topic: 'Who is the spy?' })
      await ann.getByText('Who is the spy?').waitFor()
      expect(await runsOf('Script runs')).toBe(scriptRuns)
      expect(await runsOf('Live-panel runs')).toBeGreaterThan(panelRuns)
      expect(await openSockets(room)).toBe(2)
      await expect.poll(() => indicator(ann, mode).textContent()).toBe('🟢 Connected')
      await ann.screenshot({ path: 'test-results/streamlit-' + mode + '.png' })
    }, 180000)

    it('example app (' + mode + '): an event sent after the page took its snapshot but before its socket opened still shows, once', async () => {
      const room = 'lobby-gap-' + mode
      await post('/rooms/' + room + '/messages', { player: 'eve', text: 'in the snapshot' })
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 } })
      context.setDefaultTimeout(60000)
      // Hold dan's socket (the frame's or, in v2, the page's own) until the test lets it through to the server.
      let release = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      let held = 0
      await context.routeWebSocket(new RegExp('/ws/' + room + '/'), async (ws) => {
        held++
        await gate
        ws.connectToServer()
      })
      const dan = await context.newPage()
      const errors: string[] = []
      dan.on('pageerror', (error) => errors.push(error.message))
      tabs.push({ label: 'example-dan-' + mode, room, context, page: dan, mode, errors })
      await dan.goto(exampleApps[mode]!.url + '/?room=' + room + '&player=dan')
      await dan.getByText('eve: in the snapshot').waitFor()
      await until(() => held > 0, "dan's socket to be held")
      await post('/rooms/' + room + '/messages', { player: 'eve', text: 'in the gap' })
      release()
      await dan.getByText('eve: in the gap').waitFor()
      await expect.poll(() => indicator(dan, mode).textContent()).toBe('🟢 Connected')
      expect(await dan.getByText('eve: in the snapshot').count()).toBe(1)
      expect(await dan.getByText('eve: in the gap').count()).toBe(1)
      expect(errors).toEqual([])
    }, 120000)
  }

  it('runs no script at all during 5 s of idle (test app tabs and example app tabs)', async () => {
    const examplePages = tabs.filter((tab) => tab.label.startsWith('example-')).map((tab) => tab.page)
    const counters = () => Promise.all(examplePages.map(async (page) => [
      await figure(page, 'Script runs'),
      await figure(page, 'Live-panel runs'),
    ].join(' | ')))
    let exampleBefore: string[] = []
    const runs = await idleRuns(ledger, 5000, async () => {
      exampleBefore = await counters()
    })
    figures.idleRunsTestApp = runs.length
    expect(runs).toEqual([])
    expect(await counters()).toEqual(exampleBefore)
  }, 60000)

  it('neither repeats nor loses an event across a page reload (new Streamlit session, empty session_state)', async () => {
    const b = await TAB_B()
    const first = await inject('rb', 10)
    await waitDelivered(b, first, 'the events before the reload')
    // No run since that delivery, so its acknowledgement never reached the frame: the frame still holds those events.
    const record = await b.page.evaluate(() => {
      const frame = document.querySelector('iframe[title="streamlit_ws_bridge.ws_bridge"]') as HTMLIFrameElement
      return JSON.parse((frame.contentWindow as Window).sessionStorage.getItem('ws_component_rb') || 'null') as { ack: number; last: number }
    })
    expect(record.ack).toBeLessThan(record.last)
    const sessionsBefore = ledger.sessions('B').size
    await b.page.reload()
    const second = await inject('rb', 10)
    await b.page.getByText('state: connected').waitFor()
    await waitDelivered(b, second, 'the events after the reload')
    expect(ledger.sessions('B').size).toBe(sessionsBefore + 1)
    expectExactlyOnce(ledger.delivered('B'), [...first, ...second])
    await until(async () => (await openSockets('rb')) === 1, 'one socket for rb after the reload')
  }, 120000)

  it('neither repeats nor loses an event when the frame is removed and mounted again', async () => {
    const b = await TAB_B()
    const before = await inject('rb', 5)
    await waitDelivered(b, before, 'the events before the remount')
    await b.page.getByText('hide the bridge').click()
    await until(async () => (await openSockets('rb')) === 0, 'the removed frame to close its socket')
    const whileHidden = await inject('rb', 5)
    await b.page.getByText('hide the bridge').click()
    await waitDelivered(b, whileHidden, 'the events sent while the frame was gone (replayed)')
    expectExactlyOnce(ledger.delivered('B'), before.concat(whileHidden))
    await until(async () => (await openSockets('rb')) === 1, 'one socket for rb after the remount')
  }, 120000)

  it('reconnects and replays after the server drops every connection mid-stream: no gap, no duplicate', async () => {
    const c = await TAB_C()
    const before = await stats()
    const injected: string[] = []
    for (let volley = 0; volley < 10; volley++) {
      if (volley === 5) expect((await post('/admin/drop-connections', {})).dropped).toBeGreaterThan(0)
      injected.push(...(await inject('rc', 5)))
      await sleep(30)
    }
    await waitDelivered(c, injected, 'the events around the dropped connection')
    expectExactlyOnce(ledger.delivered('C'), injected)
    await until(async () => (await openSockets('rc')) === 1, 'tab C to be connected again')
    expect((await stats()).ws_connections_total).toBeGreaterThan(before.ws_connections_total)
  }, 120000)

  it('reconnects after a server restart mid-stream and replays what it missed: no gap, no duplicate', async () => {
    const c = await TAB_C()
    const injected: string[] = []
    for (let volley = 0; volley < 10; volley++) {
      if (volley === 5) {
        const port = server.port
        await server.stop()
        server = await startGameServer(PYTHON, port, { eventLog })
      }
      injected.push(...(await inject('rc', 5)))
      await sleep(30)
    }
    await waitDelivered(c, injected, 'the events around the server restart')
    expectExactlyOnce(ledger.delivered('C'), injected)
    await until(async () => (await openSockets('rc')) === 1, 'tab C to be connected to the restarted server')
  }, 120000)

  it('shows the outage in the indicator when the server goes away, and recovers when it is back on the same port', async () => {
    const a = await TAB_A()
    const port = server.port
    await server.stop()
    const light = indicator(a.page, 'iframe')
    await expect.poll(() => light.getAttribute('data-state'), { timeout: 60000 }).toBe('down')
    const text = (await light.textContent()) || ''
    expect(text).toMatch(/^🔴 (Disconnected|Connection error)( \((retry in \d+ s|polling every \d+ s)\))?$/)
    // The status change reached Python too.
    await a.page.getByText(/^state: (error|disconnected)$/).waitFor()
    await a.page.screenshot({ path: 'test-results/streamlit-down.png' })

    server = await startGameServer(PYTHON, port, { eventLog })
    await expect.poll(() => light.textContent(), { timeout: 60000 }).toBe('🟢 Connected')
    await a.page.getByText('state: connected').waitFor()
    const text2 = 'back again ' + Date.now()
    await post('/rooms/ra/messages', { player: 'bob', text: text2 })
    await a.page.getByText('bob: ' + text2).waitFor()
    for (const tab of tabs) expect(tab.errors).toEqual([])
  }, 120000)
})
