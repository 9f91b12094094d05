// The frameless component (frame="v2") when things go wrong, in a real Streamlit
// and a real Chromium: two ws_bridge() calls of one room, a server restart with
// its log kept, an outage shown in the indicator, and an in-memory restart that
// Python must hear of exactly once (BridgeResult.reset). What Python got comes
// from the ledger test/streamlit/app.py writes; the server's own log is the truth.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { expectExactlyOnce } from './drive'
import { Ledger } from './ledger'
import { adminHeaders, type Proc, publishTicks, startGameServer, startStreamlit, until } from './processes'
import { streamlitMissing } from './requirements'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'
const INDICATOR = '.ws-bridge-status'

const missing = streamlitMissing(PYTHON, STREAMLIT, executablePath)
if (missing.length && process.env.CI) throw new Error('the real-Streamlit v2 fault e2e needs: ' + missing.join(', '))
if (missing.length) console.warn('[test/streamlit] v2 fault e2e skipped, missing: ' + missing.join(', '))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(missing.length > 0)('frameless component, frame="v2", under faults (real Streamlit, real Chromium)', { timeout: 120000 }, () => {
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser
  let dir: string
  let ledger: Ledger
  let eventLog: string
  const pages: Page[] = []

  const inject = (room: string, count: number) => publishTicks(server.url, room, count)
  const openSockets = async (room: string) => ((await (await fetch(server.url + '/stats', { headers: adminHeaders() })).json()) as { ws_open_by_room: { [room: string]: number } }).ws_open_by_room[room] || 0
  const waitDelivered = (label: string, ids: string[], what: string) =>
    until(() => {
      const got = new Set(ledger.delivered(label))
      return ids.every((id) => got.has(id))
    }, what, 60000)

  async function open(label: string, room: string, query = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } })
    context.setDefaultTimeout(60000)
    const page = await context.newPage()
    pages.push(page)
    await page.goto(app.url + '/?frame=v2&room=' + room + '&tab=' + label + query)
    await page.getByText('state: connected', { exact: true }).waitFor()
    return page
  }

  async function restart(options: { keepLog: boolean }) {
    const port = server.port
    await server.stop()
    server = await startGameServer(PYTHON, port, options.keepLog ? { eventLog } : {})
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-v2-faults-'))
    ledger = new Ledger(join(dir, 'ledger.jsonl'))
    eventLog = join(dir, 'events.jsonl')
    server = await startGameServer(PYTHON, 0, { eventLog })
    app = await startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: server.url, WSB_LEDGER: ledger.path })
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  }, 120000)

  afterAll(async () => {
    for (const page of pages) await page.context().close().catch(() => {})
    if (browser) await browser.close().catch(() => {})
    await Promise.all([app && app.stop(), server && server.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60000)

  it('gives two ws_bridge() calls of one room one socket, and hands each event to the script once', async () => {
    const page = await open('T', 'v2twice', '&twice=1')
    await page.getByText('second state: connected').waitFor()
    await expect.poll(() => page.locator(INDICATOR).allTextContents()).toEqual(['🟢 Connected', '🟢 Connected'])
    const injected = await inject('v2twice', 20)
    await waitDelivered('T', injected, 'the 20 events, through either call')
    expectExactlyOnce(ledger.delivered('T'), injected)
    expect(await openSockets('v2twice')).toBe(1)
  })

  it('reconnects after a server restart mid-stream and replays what it missed: no gap, no duplicate', async () => {
    await open('R', 'v2restart', '&status=0')
    const injected: string[] = []
    for (let volley = 0; volley < 10; volley++) {
      if (volley === 5) await restart({ keepLog: true })
      injected.push(...(await inject('v2restart', 5)))
      await sleep(30)
    }
    await waitDelivered('R', injected, 'the events around the restart')
    expectExactlyOnce(ledger.delivered('R'), injected)
    await until(async () => (await openSockets('v2restart')) === 1, 'one socket after the restart')
  })

  it('shows the outage in the indicator and in Python, and recovers when the server is back on the same port', async () => {
    const page = await open('O', 'v2outage')
    const port = server.port
    await server.stop()
    const indicator = page.locator(INDICATOR)
    await expect.poll(() => indicator.getAttribute('data-state'), { timeout: 60000 }).toBe('down')
    expect((await indicator.textContent()) || '').toMatch(/^🔴 (Disconnected|Connection error)( \((retry in \d+ s|polling every \d+ s)\))?$/)
    await page.getByText(/^state: (error|disconnected)$/).waitFor()
    server = await startGameServer(PYTHON, port, { eventLog })
    await expect.poll(() => indicator.textContent(), { timeout: 60000 }).toBe('🟢 Connected')
    await page.getByText('state: connected', { exact: true }).waitFor()
  })

  it('tells the script exactly once (BridgeResult.reset) when the server restarts without its events, then every later event once', async () => {
    await open('Z', 'v2reset', '&fragment=1')
    const before = await inject('v2reset', 20)
    await waitDelivered('Z', before, 'the first 20 events')
    await restart({ keepLog: false })
    await until(() => ledger.delivered('Z').some((id) => id.startsWith('reset:')), 'the reset in Python', 60000)
    const after = await inject('v2reset', 20)
    await waitDelivered('Z', after, 'the 20 events after the restart')
    const delivered = ledger.delivered('Z')
    const resets = delivered.filter((id) => id.startsWith('reset:'))
    expect(resets).toHaveLength(1)
    const at = delivered.indexOf(resets[0])
    expect(delivered.slice(0, at).filter((id) => before.includes(id))).toEqual(before)
    const log = ((await (await fetch(server.url + '/rooms/v2reset/events')).json()) as Array<{ id: string }>).map((event) => event.id)
    const resume = resets[0].slice('reset:'.length)
    expect(delivered.slice(at + 1)).toEqual(log.slice(log.indexOf(resume) + 1))
  })
})
