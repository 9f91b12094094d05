// A reset through a real `streamlit run` and a real Chromium: the example game
// server on its in-memory store restarts, losing every event, and Python must
// hear of it exactly once (BridgeResult.reset), then get every later event once.
// The test app's ledger is what Python got; the server's own log is the truth.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { exampleAppEnv, indicator, MODES } from './drive'
import { Ledger } from './ledger'
import { type Proc, startGameServer, startStreamlit, until } from './processes'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'
const ready = existsSync(executablePath) && existsSync(STREAMLIT) && existsSync('python/streamlit_ws_bridge/frontend/build/component.js')
if (!ready && process.env.CI) throw new Error('the Streamlit reset e2e needs Chromium, .venv with Streamlit and the component build')
if (!ready) console.warn('[test/streamlit] reset e2e skipped: Chromium, .venv or the component build is missing')

describe.skipIf(!ready)('a reset in a real Streamlit app', { timeout: 180000 }, () => {
  let game: Proc & { url: string }
  const apps: Array<Proc & { url: string }> = []
  let browser: Browser
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-reset-'))
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    for (const app of apps) await app.stop()
    await game?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const publish = async (room: string, count: number): Promise<string[]> => {
    const response = await fetch(game.url + '/rooms/' + room + '/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'tick', count }),
    })
    return ((await response.json()) as { ids: string[] }).ids
  }
  const serverLog = async (room: string): Promise<string[]> =>
    ((await (await fetch(game.url + '/rooms/' + room + '/events')).json()) as Array<{ id: string }>).map((event) => event.id)

  async function page(url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } })
    context.setDefaultTimeout(60000)
    const opened = await context.newPage()
    await opened.goto(url)
    return opened
  }

  it('tells the script exactly once (BridgeResult.reset) when the in-memory server restarts, then delivers every later event once', async () => {
    game = await startGameServer(PYTHON, 0)
    const ledger = new Ledger(join(dir, 'ledger.jsonl'))
    const app = await startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: game.url, WSB_LEDGER: ledger.path })
    apps.push(app)
    const room = 'reset-e2e'
    const tab = await page(app.url + '/?room=' + room + '&tab=R&fragment=1')
    await tab.getByText('state: connected').waitFor()
    const before = await publish(room, 20)
    await until(() => before.every((id) => ledger.delivered('R').includes(id)), 'the first 20 events in Python', 60000)

    const port = game.port
    await game.stop()
    game = await startGameServer(PYTHON, port)
    await until(() => ledger.delivered('R').some((id) => id.startsWith('reset:')), 'the reset in Python', 60000)
    const after = await publish(room, 20)
    await until(() => after.every((id) => ledger.delivered('R').includes(id)), 'the 20 events after the restart in Python', 60000)

    const delivered = ledger.delivered('R')
    const resets = delivered.filter((id) => id.startsWith('reset:'))
    expect(resets).toHaveLength(1)
    const at = delivered.indexOf(resets[0])
    expect(delivered.slice(0, at).filter((id) => before.includes(id))).toEqual(before)
    // After the reset: everything the new server logged after the reset's resume id, once, in order.
    const log = await serverLog(room)
    const resume = resets[0].slice('reset:'.length)
    expect(delivered.slice(at + 1)).toEqual(log.slice(log.indexOf(resume) + 1))
    console.log(`[streamlit] in-memory server restart: Python got 1 reset (BridgeResult.reset), ${before.length} events before and ` +
      `${delivered.length - at - 1} after (the ${after.length} published among them), each once, in order`)
  })

  it('tells the script exactly once when its tab was cut off longer than the server keeps events, never a partial replay', async () => {
    const RETAINED = 20
    const small = await startGameServer(PYTHON, 0, { env: { REPLAY_LOG_SIZE: String(RETAINED) } })
    try {
      const ledger = new Ledger(join(dir, 'ledger-offline.jsonl'))
      const app = await startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: small.url, WSB_LEDGER: ledger.path })
      apps.push(app)
      const room = 'cut-off'
      const context = await browser.newContext()
      context.setDefaultTimeout(60000)
      // Only the bridge's socket to the game server is cut; the page's own link to Streamlit stays up.
      let cut = false
      await context.routeWebSocket(/\/ws\/cut-off\//, (ws) => (cut ? ws.close({ code: 1011, reason: 'cut off by the test' }) : ws.connectToServer()))
      const tab = await context.newPage()
      await tab.goto(app.url + '/?room=' + room + '&tab=O&fragment=1')
      await tab.getByText('state: connected').waitFor()
      const publishTo = async (count: number) => {
        const response = await fetch(small.url + '/rooms/' + room + '/events', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'tick', count }),
        })
        return ((await response.json()) as { ids: string[] }).ids
      }
      const before = await publishTo(5)
      await until(() => before.every((id) => ledger.delivered('O').includes(id)), 'the first 5 events in Python', 60000)
      cut = true
      await tab.evaluate(() => (window as unknown as { _wsDebug: { reconnect(): void } })._wsDebug.reconnect())
      const missed = await publishTo(RETAINED * 3)
      cut = false
      await until(() => ledger.delivered('O').some((id) => id.startsWith('reset:')), 'the reset in Python', 90000)
      const after = await publishTo(5)
      await until(() => after.every((id) => ledger.delivered('O').includes(id)), 'the 5 events after the reset in Python', 60000)

      const delivered = ledger.delivered('O')
      const resets = delivered.filter((id) => id.startsWith('reset:'))
      expect(resets).toHaveLength(1)
      const at = delivered.indexOf(resets[0])
      expect(delivered.slice(0, at).filter((id) => before.includes(id))).toEqual(before)
      expect(missed.filter((id) => delivered.includes(id))).toEqual([])
      const log = ((await (await fetch(small.url + '/rooms/' + room + '/events')).json()) as Array<{ id: string }>).map((e) => e.id)
      const resume = resets[0].slice('reset:'.length)
      expect(delivered.slice(at + 1)).toEqual(log.slice(log.indexOf(resume) + 1))
      console.log(`[streamlit] tab cut off while ${missed.length} events passed a ${RETAINED}-event history: Python got 1 reset, ` +
        `${before.length} events before and the ${after.length} after once each, in order; none of the missed ones as if complete`)
    } finally {
      await small.stop()
    }
  })

  for (const mode of MODES) it('makes the example app (' + mode + ') reload its room on a reset and show every later chat line once', async () => {
    const app = await startStreamlit(STREAMLIT, 'examples/streamlit_app.py', exampleAppEnv(game.url, mode))
    apps.push(app)
    const room = 'lobby-' + mode
    const tab = await page(app.url + '/?room=' + room + '&player=ann')
    await expect.poll(() => indicator(tab, mode).textContent(), { timeout: 60000 }).toBe('🟢 Connected')
    const say = async (text: string) => {
      await fetch(game.url + '/rooms/' + room + '/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ player: 'bob', text }) })
      await tab.getByText('bob: ' + text).waitFor()
    }
    await say('before the restart')

    const port = game.port
    await game.stop()
    game = await startGameServer(PYTHON, port)
    await tab.getByText('the room was reloaded (1×)').waitFor()
    // The new server has no history: the reloaded room no longer shows the old line.
    await until(async () => (await tab.getByText('bob: before the restart').count()) === 0, 'the old line to go with the reload')
    await say('after the restart')
    await say('and once more')
    expect(await tab.getByText('bob: after the restart').count()).toBe(1)
    expect(await tab.getByText('the room was reloaded (1×)').count()).toBe(1)
    await tab.screenshot({ path: join(dir, 'example-after-reset.png') })
    console.log('[streamlit] example app (' + mode + '): reloaded its room once on the reset; 2 chat lines after it shown once each')
  })
})
