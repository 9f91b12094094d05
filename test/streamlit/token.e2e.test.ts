// Streamlit with room tokens on, in a real Streamlit and a real Chromium: ws_bridge(token_url=)
// fetches a fresh token from the example server's token route before every (re)connect, so
// tokens can live 2 seconds and a reconnect long after the first one still gets in. What
// Python got comes from the ledger test/streamlit/app.py writes; the server's log is the truth.
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
const TOKEN_TTL_S = 2

const missing = streamlitMissing(PYTHON, STREAMLIT, executablePath)
if (missing.length && process.env.CI) throw new Error('the real-Streamlit token e2e needs: ' + missing.join(', '))
if (missing.length) console.warn('[test/streamlit] token e2e skipped, missing: ' + missing.join(', '))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(missing.length > 0)('ws_bridge(token_url=) with room tokens on (real Streamlit, real Chromium)', { timeout: 120000 }, () => {
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser
  let dir: string
  let ledger: Ledger
  const pages: Page[] = []

  const inject = (room: string, count: number) => publishTicks(server.url, room, count)
  const stats = async () => (await (await fetch(server.url + '/stats', { headers: adminHeaders() })).json()) as { ws_connections_total: number; ws_open_by_room: Record<string, number> }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-token-'))
    ledger = new Ledger(join(dir, 'ledger.jsonl'))
    server = await startGameServer(PYTHON, 0, { env: { ROOM_TOKEN_SECRET: 'e2e-' + Date.now(), TOKEN_TTL_S: String(TOKEN_TTL_S) } })
    app = await startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: server.url, WSB_LEDGER: ledger.path })
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  }, 120000)

  afterAll(async () => {
    for (const page of pages) await page.context().close().catch(() => {})
    if (browser) await browser.close().catch(() => {})
    await Promise.all([app && app.stop(), server && server.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60000)

  for (const frame of ['v2', 'iframe']) {
    it('gets in with a fresh token on every connect, ' + frame + ': events once, across a reconnect after the first token expired', async () => {
      const room = 'tok' + frame
      const label = 'K' + frame
      const context = await browser.newContext()
      context.setDefaultTimeout(60000)
      const page = await context.newPage()
      pages.push(page)
      await page.goto(app.url + '/?token=1&frame=' + frame + '&room=' + room + '&tab=' + label)
      await page.getByText('state: connected', { exact: true }).waitFor()
      const first = await inject(room, 10)
      await until(() => first.every((id) => ledger.delivered(label).includes(id)), 'the first 10 events in Python', 60000)
      const before = (await stats()).ws_connections_total
      await sleep(TOKEN_TTL_S * 1000 + 1500) // every token handed out so far has expired
      const dropped = await fetch(server.url + '/admin/drop-connections', { method: 'POST', headers: adminHeaders() })
      expect(dropped.ok).toBe(true)
      await until(async () => (await stats()).ws_connections_total > before && (await stats()).ws_open_by_room[room] === 1, 'a new socket with a new token')
      const second = await inject(room, 10)
      await until(() => second.every((id) => ledger.delivered(label).includes(id)), 'the 10 events after the reconnect', 60000)
      const tokenless = await fetch(server.url + '/rooms/' + room + '/events')
      expect(tokenless.status).toBe(401) // the poll needs a token too
      expectExactlyOnce(ledger.delivered(label), [...first, ...second])
      console.log('[streamlit] tokens of ' + TOKEN_TTL_S + ' s, ' + frame + ': 20 events once, in order, across a reconnect ' +
        'after every earlier token had expired; a poll without a token refused')
    })
  }
})
