// Resets end to end: real headless Chromium with the script tag, against the
// real example server (in-memory store, small retention). Each case checks what
// every page got against the server's own answers: each event once, in order,
// or inside a gap that a reset announced, never a replay that only looks whole.
import { join } from 'node:path'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { checkChromium } from '../browser/browser'
import { PageServer, ROOT, html, scriptTag } from '../browser/page-server'
import { startGameServer } from '../streamlit/processes'
import { type FaultWindow, type Tab, figure, launch, openTab, pageUntil, untilConnected } from './page-harness'

const PYTHON = join(ROOT, '.venv', 'bin', 'python')
const RETAINED = 20
const TIMEOUT = 120000

type Reset = { since: string | null; resume: string; reason: string }
type ResetWindow = FaultWindow & { __resets: Reset[] }

/** The page's record: ids delivered and resets, in the order they happened. */
const recorder =
  '<script>\nwindow.__got = []; window.__resets = []; window.__bridgeErrors = []\n' +
  "WsBridge.bridge.on('message', function (m) { __got.push(m.id) })\n" +
  "WsBridge.bridge.on('reset', function (r) { __resets.push(r); __got.push('reset:' + r.resume) })\n</script>"

async function publish(base: string, room: string, count: number): Promise<string[]> {
  const response = await fetch(base + '/rooms/' + room + '/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'tick', count }),
  })
  if (!response.ok) throw new Error('publish: HTTP ' + response.status)
  return ((await response.json()) as { ids: string[] }).ids
}

/** The room's retained log, from the server's own fallback endpoint. */
async function serverLog(base: string, room: string, since?: string): Promise<string[]> {
  const query = since === undefined ? '' : '?since=' + encodeURIComponent(since)
  const list = (await (await fetch(base + '/rooms/' + room + '/events' + query)).json()) as Array<{ id?: string; type: string; resume?: string }>
  return list.map((event) => (event.type === 'reset' ? 'reset:' + event.resume : (event.id as string)))
}

const record = (tab: Tab) => tab.page.evaluate(() => ({ got: (window as unknown as ResetWindow).__got, resets: (window as unknown as ResetWindow).__resets }))

describe.skipIf(!checkChromium('the reset suite'))('resets in headless Chromium against the example server', { timeout: TIMEOUT }, () => {
  let browser: Browser
  let pages: PageServer
  let contexts: BrowserContext[] = []
  const stops: Array<() => Promise<void>> = []

  beforeAll(async () => {
    pages = await new PageServer().start()
    browser = await launch()
  })

  afterEach(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    contexts = []
    for (const stop of stops.splice(0)) await stop()
  })

  afterAll(async () => {
    if (browser) await browser.close()
    if (pages) await pages.stop()
  })

  async function server(port = 0) {
    const game = await startGameServer(PYTHON, port, { env: { REPLAY_LOG_SIZE: String(RETAINED) } })
    stops.push(game.stop)
    return game
  }

  async function open(base: string, room: string, player: string): Promise<Tab> {
    const ws = base.replace(/^http/, 'ws') + '/ws/' + room + '/' + player
    const markup = html(scriptTag({ url: ws, room, 'retry-delay': 100, 'max-retry-delay': 500 }) + '\n' + recorder)
    const tab = await openTab(browser, pages.add(markup), contexts)
    await untilConnected(tab.page)
    return tab
  }

  /** Waits until the page has been delivered the event `id`. */
  const delivered = (tab: Tab, id: string, what: string) =>
    pageUntil(tab.page, (last) => (window as unknown as ResetWindow).__got.includes(last), id, what)

  it('gives a page that was offline longer than the server keeps events exactly one reset, never a partial replay', async () => {
    const game = await server()
    const room = 'offline'
    const tab = await open(game.url, room, 'ann')
    const before = await publish(game.url, room, 5)
    await delivered(tab, before[4], 'the first 5 events')

    await tab.context.setOffline(true)
    // Drop the socket now; offline, the bridge spends no attempt until it is back.
    await tab.page.evaluate(() => (window as unknown as ResetWindow)._wsDebug?.bridges.offline.reconnect())
    const missed = await publish(game.url, room, RETAINED * 3)
    await tab.context.setOffline(false)
    await pageUntil(tab.page, () => (window as unknown as ResetWindow).__resets.length > 0, null, 'the reset')
    await untilConnected(tab.page)
    const after = await publish(game.url, room, 5)
    await delivered(tab, after[4], 'the 5 events after the reset')

    const { got, resets } = await record(tab)
    expect(resets).toHaveLength(1)
    const reset = resets[0]
    expect(reset.reason).toBe('evicted')
    const at = got.indexOf('reset:' + reset.resume)
    const beforeReset = got.slice(0, at) as string[]
    const afterReset = got.slice(at + 1) as string[]
    // Before the gap: a prefix of the server's own answer; the gap starts right after it.
    expect(beforeReset.filter((id) => before.includes(id))).toEqual(before)
    expect(reset.since).toBe(beforeReset[beforeReset.length - 1])
    // After it: exactly what the server logged after `resume`, once each, in order.
    expect(afterReset).toEqual(await serverLog(game.url, room, reset.resume))
    expect(afterReset.filter((id) => after.includes(id))).toEqual(after)
    // Every event the page did not get lies inside the gap the reset announced.
    const silentlyMissed = missed.filter((id) => got.includes(id))
    expect(silentlyMissed).toEqual([])
    expect(await tab.page.evaluate(() => (window as unknown as ResetWindow)._wsDebug?.getStatus()?.counters.resets)).toBe(1)
    figure(`offline past retention (${RETAINED} kept): ${missed.length} events missed, 1 reset (${reset.reason}), ` +
      `${before.length} before and ${after.length} after delivered once each in order, duplicated 0, lost outside the announced gap 0`)
  })

  it('makes every page reset once when the server restarts without its events (in-memory store), and none misses one after', async () => {
    const first = await server()
    const room = 'restart'
    const tabs = [await open(first.url, room, 'ann'), await open(first.url, room, 'bob'), await open(first.url, room, 'cat')]
    const before = await publish(first.url, room, 10)
    for (const tab of tabs) await delivered(tab, before[9], 'the first 10 events')

    await first.stop()
    const second = await server(first.port)
    for (const tab of tabs) {
      await pageUntil(tab.page, () => (window as unknown as ResetWindow).__resets.length > 0, null, 'the reset')
      await untilConnected(tab.page)
    }
    const after = await publish(second.url, room, 10)
    for (const tab of tabs) await delivered(tab, after[9], 'the 10 events after the restart')

    const log = await serverLog(second.url, room)
    for (const tab of tabs) {
      const { got, resets } = await record(tab)
      expect(resets).toHaveLength(1)
      expect(resets[0].reason).toBe('epoch')
      const at = got.indexOf('reset:' + resets[0].resume)
      expect((got.slice(0, at) as string[]).filter((id) => before.includes(id))).toEqual(before)
      // Everything the new server logged after the page's cursor reached it, once, in order.
      const afterReset = got.slice(at + 1) as string[]
      const expected = log.slice(log.indexOf(resets[0].resume) + 1)
      expect(afterReset.slice(-expected.length)).toEqual(expected)
      expect(new Set(afterReset).size).toBe(afterReset.length)
    }
    figure(`in-memory server restarted under ${tabs.length} pages: resets 1 each (epoch), ${before.length} events before and ` +
      `${after.length} after delivered once each, in order; none missed after the reset`)
  })
})
