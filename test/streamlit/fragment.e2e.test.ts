// The layout python/README.md recommends, in a real Streamlit and a real Chromium:
// the bridge inside st.fragment (test/streamlit/app.py with fragment=1). Every
// event reaches the script exactly once, in order, whether it arrives during
// fragment runs, during full runs another widget causes, or across a reload; and
// events alone rerun only the fragment. Counts come from the ledger the app
// writes and the game server's /stats; every wait is on a condition.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { clickRerunEvery, expectExactlyOnce, FRAME } from './drive'
import { Ledger } from './ledger'
import { adminHeaders, type Proc, startGameServer, startStreamlit, until } from './processes'
import { streamlitMissing } from './requirements'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'
const ROOM = 'rfrag'
const TAB = 'F'

const missing = streamlitMissing(PYTHON, STREAMLIT, executablePath)
if (missing.length && process.env.CI) throw new Error('the st.fragment e2e needs: ' + missing.join(', '))
if (missing.length) console.warn('[test/streamlit] st.fragment suite skipped, missing: ' + missing.join(', '))

describe.skipIf(missing.length > 0)('the bridge inside st.fragment (real Streamlit, real Chromium)', { timeout: 180000 }, () => {
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser
  let context: BrowserContext | undefined
  let page: Page
  let dir = ''
  let ledger: Ledger
  const injected: string[] = []
  const figures: { [name: string]: number } = {}

  const stats = async () =>
    (await (await fetch(server.url + '/stats', { headers: adminHeaders() })).json()) as { ws_connections_total: number; ws_open_by_room: { [room: string]: number } }
  /** `count` events in one POST: they reach the browser as one volley. */
  async function inject(count: number): Promise<string[]> {
    const response = await fetch(server.url + '/rooms/' + ROOM + '/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'tick', count }),
    })
    if (!response.ok) throw new Error('POST events: HTTP ' + response.status)
    const ids = ((await response.json()) as { ids: string[] }).ids
    injected.push(...ids)
    return ids
  }
  const delivered = () => ledger.delivered(TAB)
  const waitDelivered = (ids: string[], what: string) =>
    until(() => {
      const got = new Set(delivered())
      return ids.every((id) => got.has(id))
    }, what, 60000)
  /** Lines of `kind` for this tab's sessions after `from`. */
  const count = (kind: 'run' | 'fragment' | 'click', from: number) => {
    const sessions = ledger.sessions(TAB)
    return ledger.lines().slice(from).filter((line) => line.kind === kind && sessions.has(line.sid)).length
  }
  /**
   * Marks the component frame's document, so a later look tells whether Streamlit replaced it
   * (a remount or a reload of the iframe, which opens a new socket by design) or kept it (so a
   * new connection would be the bridge's own doing).
   */
  const markFrame = () => page.locator(FRAME).evaluate((el) => {
    const frame = (el as HTMLIFrameElement).contentWindow as (Window & { __wsbMarked?: boolean }) | null
    if (frame) frame.__wsbMarked = true
  })
  const frameKept = () => page.locator(FRAME).evaluate((el) =>
    ((el as HTMLIFrameElement).contentWindow as (Window & { __wsbMarked?: boolean }) | null)?.__wsbMarked === true)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-fragment-'))
    ledger = new Ledger(join(dir, 'ledger.jsonl'))
    server = await startGameServer(PYTHON, 0, { eventLog: join(dir, 'events.jsonl') })
    // Started together, each kept once up: afterAll stops whatever started, even if the other failed.
    const started = await Promise.allSettled([
      startStreamlit(STREAMLIT, 'test/streamlit/app.py', { WSB_SERVER: server.url, WSB_LEDGER: ledger.path }).then((p) => (app = p)),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }).then((b) => (browser = b)),
    ])
    for (const result of started) if (result.status === 'rejected') throw result.reason
    context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
    context.setDefaultTimeout(60000)
    page = await context.newPage()
    await page.goto(app.url + '/?room=' + ROOM + '&tab=' + TAB + '&fragment=1')
    await page.getByText('state: connected').waitFor()
  }, 120000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    await browser?.close().catch(() => {})
    await Promise.all([app?.stop(), server?.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
    console.log('[test/streamlit] st.fragment measured: ' + JSON.stringify(figures))
  }, 60000)

  it('delivers 100 events exactly once, in order, rerunning only the fragment', async () => {
    const mark = ledger.mark()
    const before = await stats()
    for (let volley = 0; volley < 20; volley++) {
      const ids = await inject(5)
      // The next volley once this one is in Python: each arrival is its own fragment run.
      if (volley % 4 === 3) await waitDelivered(ids, 'volley ' + (volley + 1))
    }
    await waitDelivered(injected, 'the 100 events')
    expectExactlyOnce(delivered(), injected)
    figures.fragmentRunsForEvents = count('fragment', mark)
    figures.fullRunsForEvents = count('run', mark)
    expect(count('fragment', mark)).toBeGreaterThan(0)
    // Events alone never rerun the whole script: that is what the fragment is for.
    expect(count('run', mark)).toBe(0)
    const after = await stats()
    expect(after.ws_open_by_room[ROOM]).toBe(1)
    expect(after.ws_connections_total).toBe(before.ws_connections_total)
  })

  it('delivers events exactly once, in order, while another widget reruns the whole script over and over', async () => {
    const mark = ledger.mark()
    const before = await stats()
    await markFrame()
    const stopClicking = await clickRerunEvery(page, 30)
    let clicks = 0
    try {
      for (let volley = 0; volley < 20; volley++) {
        // Each volley after at least one more full run: the stream and the reruns really interleave.
        const runs = count('run', mark)
        await until(() => count('run', mark) > runs, 'a full run before volley ' + (volley + 1), 60000, 10)
        await inject(5)
      }
    } finally {
      clicks = await stopClicking()
    }
    await waitDelivered(injected, 'the events streamed under full reruns')
    expectExactlyOnce(delivered(), injected)
    figures.clicksDuringStream = clicks
    figures.fullRunsDuringStream = count('run', mark)
    figures.fragmentRunsDuringStream = count('fragment', mark)
    expect(count('run', mark)).toBeGreaterThanOrEqual(20)
    const after = await stats()
    if (await frameKept()) {
      figures.frameReplacedByStreamlit = 0
      // The same frame document all along: its one socket stayed open, no new connection.
      expect(after.ws_open_by_room[ROOM]).toBe(1)
      expect(after.ws_connections_total).toBe(before.ws_connections_total)
    } else {
      // Streamlit replaced the frame inside the fragment (it has dropped elements around a
      // fragment under reruns before, see python/README.md). A CI run once ended this case with
      // no socket open; this tells the two causes apart. A new frame connects once and resumes
      // where the old one was: the exactly-once check above holds either way, and one socket is
      // left for the room.
      figures.frameReplacedByStreamlit = 1
      console.warn('[test/streamlit] Streamlit replaced the frame inside the fragment during the full reruns')
      await until(async () => (await stats()).ws_open_by_room[ROOM] === 1, 'one socket for the room after Streamlit replaced the frame')
    }
  })

  it('neither repeats nor loses an event across a page reload (a new Streamlit session)', async () => {
    const sessions = ledger.sessions(TAB).size
    const first = await inject(10)
    await waitDelivered(first, 'the events before the reload')
    await page.reload()
    const second = await inject(10)
    await page.getByText('state: connected').waitFor()
    await waitDelivered(second, 'the events after the reload')
    expect(ledger.sessions(TAB).size).toBe(sessions + 1)
    expectExactlyOnce(delivered(), injected)
    await until(async () => (await stats()).ws_open_by_room[ROOM] === 1, 'one socket for the room after the reload')
    figures.eventsDelivered = delivered().length
  })
})
