// The frameless component (frame="v2", Streamlit Components v2) in a real
// Streamlit (from .venv) and a real Chromium, against the example game server:
// the guarantees the iframe component's suite checks, here with no iframe at
// all. Counts come from the server's /stats and the ledger test/streamlit/app.py
// writes; the test waits on conditions and never asserts a duration.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { clickRerun, clickRerunEvery, deliverBurst, expectExactlyOnce, idleRuns, indicator, printTabs } from './drive'
import { Ledger } from './ledger'
import { adminHeaders, type Proc, startGameServer, startStreamlit, until } from './processes'
import { streamlitMissing } from './requirements'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'

const missing = streamlitMissing(PYTHON, STREAMLIT, executablePath)
if (missing.length && process.env.CI) throw new Error('the real-Streamlit v2 e2e needs: ' + missing.join(', '))
if (missing.length) console.warn('[test/streamlit] v2 e2e skipped, missing: ' + missing.join(', '))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Tab {
  label: string
  room: string
  context: BrowserContext
  page: Page
  errors: string[]
}

describe.skipIf(missing.length > 0)('frameless component, frame="v2" (real Streamlit, real Chromium)', () => {
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser
  let dir: string
  let ledger: Ledger
  const tabs: Tab[] = []
  const figures: { [name: string]: number } = {}

  // The test publish endpoint and the operator routes (which need the admin token), from this test only.
  const post = async (path: string, body: unknown) => {
    const headers = { 'content-type': 'application/json', ...adminHeaders() }
    const response = await fetch(server.url + path, { method: 'POST', headers, body: JSON.stringify(body) })
    if (!response.ok) throw new Error('POST ' + path + ': HTTP ' + response.status)
    return response.json() as Promise<{ ids?: string[]; [field: string]: unknown }>
  }
  const stats = async () =>
    (await fetch(server.url + '/stats', { headers: adminHeaders() })).json() as Promise<{ ws_connections_total: number; ws_open_by_room: { [room: string]: number } }>
  const openSockets = async (room: string) => (await stats()).ws_open_by_room[room] || 0
  const inject = async (room: string, count: number): Promise<string[]> => (await post('/rooms/' + room + '/events', { type: 'tick', count })).ids || []
  const waitDelivered = (tab: Tab, ids: string[], what: string) =>
    until(() => {
      const got = new Set(ledger.delivered(tab.label))
      return ids.every((id) => got.has(id))
    }, what, 60000)

  async function openTab(label: string, room: string, query = ''): Promise<Tab> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
    context.setDefaultTimeout(60000)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(app.url + '/?frame=v2&room=' + room + '&tab=' + label + query)
    const tab: Tab = { label, room, context, page, errors }
    tabs.push(tab)
    await page.getByText('state: connected').waitFor()
    return tab
  }
  const tab = async (label: string, room: string, query = '') => tabs.find((t) => t.label === label) || openTab(label, room, query)
  const TAB_A = () => tab('A', 'v2a')
  const TAB_B = () => tab('B', 'v2b', '&key=user-key')
  const TAB_C = () => tab('C', 'v2c', '&status=0')

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-v2-'))
    ledger = new Ledger(join(dir, 'ledger.jsonl'))
    server = await startGameServer(PYTHON, 0, { eventLog: join(dir, 'events.jsonl') })
    const started = await Promise.allSettled([
      startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: server.url, WSB_LEDGER: ledger.path }, ['--theme.base', 'dark']).then((p) => (app = p)),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }).then((b) => (browser = b)),
    ])
    for (const result of started) if (result.status === 'rejected') throw result.reason
  }, 120000)

  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => printTabs('v2', tabs.map((t) => ({ ...t, mode: 'v2' as const })), [['game server', server], ['app', app]])))

  afterAll(async () => {
    for (const t of tabs) await t.context.close().catch(() => {})
    if (browser) await browser.close().catch(() => {})
    await Promise.all([app && app.stop(), server && server.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
    console.log('[test/streamlit v2] measured: ' + JSON.stringify(figures))
  }, 60000)

  it('runs in the page with no iframe: events reach the app, _wsDebug is on the app window, the indicator takes the theme', async () => {
    const a = await TAB_A()
    const text = 'hello <b>v2</b> ' + Date.now()
    await post('/rooms/v2a/messages', { player: 'bob', text })
    await a.page.getByText('bob: ' + text).waitFor()
    expect(await a.page.locator('iframe').count()).toBe(0)
    const debug = await a.page.evaluate(() => {
      const d = (window as unknown as { _wsDebug?: { getStatus(): { state: string; room: string }; ws: WebSocket | null } })._wsDebug
      return d ? { state: d.getStatus().state, room: d.getStatus().room, readyState: d.ws && d.ws.readyState } : null
    })
    expect(debug).toEqual({ state: 'connected', room: 'v2a', readyState: 1 })
    // Playwright's CSS locators go into the component's open shadow root.
    const light = indicator(a.page, 'v2')
    await expect.poll(() => light.textContent()).toBe('🟢 Connected')
    // The app runs with the dark theme: the indicator has the colour of the app's own text.
    const color = await light.evaluate((el) => getComputedStyle(el).color)
    expect(color).toBe(await a.page.getByText('state: connected').evaluate((el) => getComputedStyle(el).color))
    expect(color).not.toBe('rgb(0, 0, 0)')
    expect(a.errors).toEqual([])
  }, 120000)

  it('keeps exactly one WebSocket per tab across ≥ 20 reruns by another widget, with and without a user key', async () => {
    const [b, c] = await Promise.all([TAB_B(), TAB_C()])
    const before = await stats()
    const mark = ledger.mark()
    const injected: { [room: string]: string[] } = { v2b: [], v2c: [] }
    await Promise.all([b, c].map((t) => clickRerun(t.page, ledger, t.label, 22, async (i) => {
      if (i % 5 === 0) injected[t.room].push(...(await inject(t.room, 2)))
    })))
    for (const t of [b, c]) {
      await waitDelivered(t, injected[t.room], 'the events of tab ' + t.label)
      expectExactlyOnce(ledger.delivered(t.label), injected[t.room])
    }
    figures.buttonRerunsB = ledger.clicks('B', mark)
    figures.buttonRerunsC = ledger.clicks('C', mark)
    expect(figures.buttonRerunsB).toBeGreaterThanOrEqual(20)
    expect(figures.buttonRerunsC).toBeGreaterThanOrEqual(20)
    const after = await stats()
    expect([after.ws_open_by_room.v2b, after.ws_open_by_room.v2c]).toEqual([1, 1])
    expect(after.ws_connections_total - before.ws_connections_total).toBe(0)
    // show_status=False: the indicator is hidden.
    expect(await indicator(c.page, 'v2').isHidden()).toBe(true)
  }, 180000)

  it('delivers events streamed while another widget reruns the script every 30 ms exactly once, in order', async () => {
    const b = await TAB_B()
    const mark = ledger.mark()
    const stop = await clickRerunEvery(b.page, 30)
    const injected: string[] = []
    let clicks = 0
    try {
      for (let volley = 0; volley < 20; volley++) {
        injected.push(...(await inject('v2b', 5)))
        await sleep(60)
      }
      await until(() => ledger.runs('B', mark) >= 20, '20 runs during the stream', 60000)
    } finally {
      clicks = await stop()
    }
    await waitDelivered(b, injected, '100 events streamed under 30 ms reruns')
    expectExactlyOnce(ledger.delivered('B'), injected)
    figures.clicksDuringStream = clicks
    figures.runsDuringStream = ledger.runs('B', mark)
    expect(clicks).toBeGreaterThanOrEqual(20)
    expect(await openSockets('v2b')).toBe(1)
  }, 120000)

  it('brings a burst of 200 events (50 volleys, 10 ms apart) to Python exactly once, in order, in ≤ 25 reruns, the first volley before the burst ends', async () => {
    const c = await TAB_C()
    const burst = await deliverBurst(ledger, 'C', (count) => inject('v2c', count), (ids, what) => waitDelivered(c, ids, what))
    figures.burstReruns = burst.runs
    figures.burstDeliveries = burst.deliveries
    // The other 49 volleys (≥ 490 ms) are coalesced into at most one value per 100 ms window.
    expect(burst.runs).toBeLessThanOrEqual(25)
  }, 120000)

  it('runs no script at all during 5 s of idle', async () => {
    await Promise.all([TAB_A(), TAB_B(), TAB_C()])
    const runs = await idleRuns(ledger, 5000)
    figures.idleRuns = runs.length
    expect(runs).toEqual([])
  }, 60000)

  it('neither repeats nor loses an event across a page reload (new Streamlit session, new page module)', async () => {
    const b = await TAB_B()
    const first = await inject('v2b', 10)
    await waitDelivered(b, first, 'the events before the reload')
    // No run since that delivery, so its acknowledgement never reached the page: the ledger still holds them.
    const record = await b.page.evaluate(() => JSON.parse(sessionStorage.getItem('ws_component_v2b') || 'null') as { ack: number; last: number })
    expect(record.ack).toBeLessThan(record.last)
    const sessionsBefore = ledger.sessions('B').size
    await b.page.reload()
    const second = await inject('v2b', 10)
    await b.page.getByText('state: connected').waitFor()
    await waitDelivered(b, second, 'the events after the reload')
    expect(ledger.sessions('B').size).toBe(sessionsBefore + 1)
    expectExactlyOnce(ledger.delivered('B'), [...first, ...second])
    await until(async () => (await openSockets('v2b')) === 1, 'one socket for v2b after the reload')
  }, 120000)

  it('closes the socket when the element is removed, and replays what it missed when it is mounted again', async () => {
    const b = await TAB_B()
    const before = await inject('v2b', 5)
    await waitDelivered(b, before, 'the events before the remount')
    await b.page.getByText('hide the bridge').click()
    await until(async () => (await openSockets('v2b')) === 0, 'the cleanup to close the socket')
    const whileHidden = await inject('v2b', 5)
    await b.page.getByText('hide the bridge').click()
    await waitDelivered(b, whileHidden, 'the events sent while the element was gone (replayed)')
    expectExactlyOnce(ledger.delivered('B'), before.concat(whileHidden))
    await until(async () => (await openSockets('v2b')) === 1, 'one socket for v2b after the remount')
    expect(b.errors).toEqual([])
  }, 120000)

  it('reconnects and replays after the server drops every connection mid-stream: no gap, no duplicate', async () => {
    const c = await TAB_C()
    const before = await stats()
    const injected: string[] = []
    for (let volley = 0; volley < 10; volley++) {
      if (volley === 5) expect((await post('/admin/drop-connections', {})).dropped).toBeGreaterThan(0)
      injected.push(...(await inject('v2c', 5)))
      await sleep(30)
    }
    await waitDelivered(c, injected, 'the events around the dropped connection')
    expectExactlyOnce(ledger.delivered('C'), injected)
    await until(async () => (await openSockets('v2c')) === 1, 'tab C to be connected again')
    expect((await stats()).ws_connections_total).toBeGreaterThan(before.ws_connections_total)
    for (const t of tabs) expect(t.errors).toEqual([])
  }, 120000)
})
