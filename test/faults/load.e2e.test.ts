// Load in real headless Chromium: 50 rooms in one page, 10 tabs on one room,
// and 1,000 messages/s for 30 s into one page, compared with a plain
// WebSocket page fed the same stream at the same time (the baseline: no
// absolute durations are asserted). Build first (npm run build).
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Bridge, Message } from '../../src/index'
import { checkChromium, serverUntil, storedMessages } from '../browser/browser'
import { PageServer, html, scriptTag } from '../browser/page-server'
import { EventServer } from '../helpers/ws-server'
import { type FaultWindow, type Tab, bridgePageMarkup, figure, launch, openTab, pageUntil, untilConnected, untilStoredLast } from './page-harness'

const RATE = 1000
const SECONDS = 30
const TOTAL = RATE * SECONDS

/** Counts long tasks (> 50 ms) from now on, into window.__longTasks. */
const OBSERVE_LONG_TASKS =
  'window.__longTasks = [];' +
  "new PerformanceObserver(function (list) { list.getEntries().forEach(function (e) { window.__longTasks.push(Math.round(e.duration)) }) }).observe({ type: 'longtask' })"

type LoadWindow = FaultWindow & { __longTasks: number[]; __count: number; __gaps: number }

describe.skipIf(!checkChromium('the load suite'))('load in headless Chromium', () => {
  let browser: Browser
  let pages: PageServer
  let contexts: BrowserContext[] = []
  let servers: EventServer[] = []

  const startServer = async () => {
    const server = await new EventServer().start()
    servers.push(server)
    return server
  }

  beforeAll(async () => {
    pages = await new PageServer().start()
    browser = await launch()
  })

  afterEach(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    contexts = []
    for (const server of servers) await server.stop().catch(() => {})
    servers = []
  })

  afterAll(async () => {
    if (browser) await browser.close()
    if (pages) await pages.stop()
  })

  it('runs 50 rooms in one page, each bridge with its own socket, storage keys and messages, nothing crossed', { timeout: 120000 }, async () => {
    const server = await startServer()
    const rooms = Array.from({ length: 50 }, (_, i) => 'room' + i)
    const tab = await openTab(browser, pages.add(html(scriptTag())), contexts)
    await tab.page.evaluate(
      ([base, names]) => {
        const w = window as unknown as FaultWindow
        const got: { [room: string]: unknown[] } = (w.__byRoom = {})
        for (const room of names) {
          const bridge = w.WsBridge.connect({ url: base + '/' + room, room })
          got[room] = []
          bridge.on('message', (m) => (got[room] as unknown[]).push(m.room))
        }
      },
      [server.url, rooms] as const,
    )
    await serverUntil(server, () => server.open.length === 50, '50 open sockets')
    const perRoom = 30
    for (let n = 1; n <= perRoom; n++) {
      for (const room of rooms) {
        for (const c of server.open.filter((c) => c.url.pathname === '/' + room)) c.socket.send(JSON.stringify({ id: room + '-' + n, type: 'message', room }))
      }
    }
    await pageUntil(
      tab.page,
      ([names, n]) => (names as string[]).every((room) => (JSON.parse(sessionStorage.getItem('ws_messages_' + room) || '[]') as Message[]).length === n),
      [rooms, perRoom] as const,
      'every room to store its ' + perRoom + ' messages',
      60000,
    )
    const seen = await tab.page.evaluate((names) => {
      const w = window as unknown as FaultWindow
      const debug = w._wsDebug as NonNullable<FaultWindow['_wsDebug']>
      return names.map((room) => ({
        room,
        delivered: (w.__byRoom as { [room: string]: unknown[] })[room],
        kept: debug.bridges[room].getMessages().map((m) => m.room),
        stored: (JSON.parse(sessionStorage.getItem('ws_messages_' + room) || '[]') as Message[]).map((m) => m.room),
        status: debug.bridges[room].getStatus(),
      }))
    }, rooms)

    const paths = new Set(server.connections.map((c) => c.url.pathname))
    expect(server.connections).toHaveLength(50)
    expect(paths.size).toBe(50)
    for (const room of seen) {
      const own = Array(perRoom).fill(room.room)
      expect(room.delivered).toEqual(own)
      expect(room.kept).toEqual(own)
      expect(room.stored).toEqual(own)
      expect(room.status.room).toBe(room.room)
      expect(room.status.state).toBe('connected')
      expect(room.status.counters).toMatchObject({ received: perRoom, stored: perRoom, duplicates: 0, invalid: 0 })
    }
    const keys = await tab.page.evaluate(() => Object.keys(sessionStorage).sort())
    expect(keys).toEqual(rooms.flatMap((room) => ['ws_messages_' + room, 'ws_status_' + room]).sort())
    expect(tab.errors).toEqual([])
    figure('50 rooms, one page: 50 sockets, ' + keys.length + ' storage keys, ' + 50 * perRoom + ' messages, crossed 0, page errors ' + tab.errors.length)
  })

  it('gives 10 tabs on one room each its own history, and the server gets every sent message exactly once, through a drop', { timeout: 180000 }, async () => {
    const server = await startServer()
    const room = 'crowd'
    const url = pages.add(bridgePageMarkup({ url: server.url + '/' + room, room, 'retry-delay': 100, 'max-retry-delay': 1000 }))
    const tabs: Tab[] = []
    // Tab i joins, then one event goes to everybody: tab i's history starts at event i.
    for (let i = 0; i < 10; i++) {
      const tab = await openTab(browser, url, contexts)
      await untilConnected(tab.page)
      await serverUntil(server, () => server.open.length === i + 1, 'tab ' + (i + 1) + ' to connect')
      tabs.push(tab)
      server.emit({ text: 'after tab ' + (i + 1) + ' joined' })
    }
    const send = (tab: Tab, i: number, texts: string[]) =>
      tab.page.evaluate(
        ([list, n]) => list.map((text) => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).send({ type: 'message', tab: n, text })),
        [texts, i] as const,
      )
    const texts = (i: number, from: number, count: number) => Array.from({ length: count }, (_, j) => 'tab' + i + '-' + (from + j))
    const results: string[] = []
    const sent = () => server.connections.flatMap((c) => c.received).filter((t) => t !== '{"type":"ping"}').map((t) => (JSON.parse(t) as { text: string }).text)
    for (const [i, tab] of tabs.entries()) results.push(...(await send(tab, i, texts(i, 0, 5))))
    // 'sent' means handed to the open socket: a frame still in flight when it drops is lost with it
    // (README "Sending"). So the drop comes once the server holds the first 50.
    await serverUntil(server, () => sent().length === 50, 'the server to receive the 50 messages sent before the drop')
    // Every socket drops and the server refuses for a while; the tabs keep sending (queued, flushed once on open).
    server.options.refuseUpgrades = true
    server.dropAll()
    for (const tab of tabs) {
      await pageUntil(tab.page, () => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getStatus().state !== 'connected', null, 'the tab to see the drop')
    }
    for (const [i, tab] of tabs.entries()) results.push(...(await send(tab, i, [...texts(i, 5, 5), 'tab' + i + '-done'])))
    server.options.refuseUpgrades = false
    await serverUntil(server, () => tabs.every((_, i) => sent().includes('tab' + i + '-done')), 'every tab to send its last message', 60000)
    for (const tab of tabs) await untilConnected(tab.page)
    const histories = await Promise.all(tabs.map((tab) => tab.page.evaluate(() => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getMessages().map((m) => m.id))))
    const stored = await Promise.all(tabs.map((tab) => storedMessages(tab.page, room)))

    const all = sent()
    expect(all.length).toBe(10 * 11)
    expect(new Set(all).size).toBe(all.length)
    for (let i = 0; i < 10; i++) {
      const mine = all.filter((t) => t.startsWith('tab' + i + '-'))
      expect(mine).toEqual([...texts(i, 0, 10), 'tab' + i + '-done'])
      const history = Array.from({ length: 10 - i }, (_, k) => 'e' + (i + 1 + k))
      expect(histories[i]).toEqual(history)
      expect(stored[i].map((m) => m.id)).toEqual(history)
    }
    expect(results.filter((r) => r === 'dropped')).toEqual([])
    for (const tab of tabs) expect(tab.errors).toEqual([])
    const queued = results.filter((r) => r === 'queued').length
    figure('10 tabs, one room: histories ' + histories.map((h) => h.length).join('/') + ', server got ' + all.length + ' sends (' + queued + ' queued over the drop), twice 0, page errors 0')
  })

  it(
    'takes 1,000 messages/s for 30 s with nothing lost, 100 kept, a flat heap and no more long tasks than a plain WebSocket page',
    { timeout: 240000 },
    async () => {
      const server = await startServer()
      const room = 'firehose'
      const bridgeTab = await openTab(
        browser,
        pages.add(
          html(
            '<script>' + OBSERVE_LONG_TASKS + '</script>\n' +
              scriptTag({ url: server.url + '/' + room, room, 'heartbeat-interval': 0 }) +
              '\n<script>\nwindow.__count = 0; window.__gaps = 0\n' +
              "WsBridge.bridge.on('message', function (m) { if (m.id !== 'L' + (__count + 1)) __gaps++; __count++ })\n</script>",
          ),
        ),
        contexts,
      )
      // The baseline: a raw WebSocket and onmessage that parses each frame, nothing else.
      const baselineTab = await openTab(
        browser,
        pages.add(
          html(
            '<script>' + OBSERVE_LONG_TASKS + '\nwindow.__count = 0; window.__gaps = 0\n' +
              'var ws = new WebSocket(' + JSON.stringify(server.url + '/baseline') + ')\n' +
              "ws.onmessage = function (e) { var m = JSON.parse(e.data); if (m.id !== 'L' + (__count + 1)) __gaps++; __count++ }\n</script>",
          ),
        ),
        contexts,
      )
      await untilConnected(bridgeTab.page)
      await serverUntil(server, () => server.open.length === 2, 'both pages to connect')
      const heapOf = async (page: Page): Promise<[CDPSession, () => Promise<number>]> => {
        const cdp = await page.context().newCDPSession(page)
        return [cdp, async () => {
          await cdp.send('HeapProfiler.collectGarbage')
          return (await cdp.send('Runtime.getHeapUsage')).usedSize
        }]
      }
      const [bridgeCdp, bridgeHeap] = await heapOf(bridgeTab.page)
      const [, baselineHeap] = await heapOf(baselineTab.page)
      const heapBefore = [await bridgeHeap(), await baselineHeap()]
      for (const tab of [bridgeTab, baselineTab]) await tab.page.evaluate(() => ((window as unknown as LoadWindow).__longTasks.length = 0))

      // Paced by the clock: every tick sends what is due by now, so the rate holds however the timers drift.
      const text = 'x'.repeat(200)
      const samples: number[] = []
      let sentCount = 0
      const started = Date.now()
      await new Promise<void>((done) => {
        const tick = setInterval(() => {
          const due = Math.min(TOTAL, Math.floor(((Date.now() - started) * RATE) / 1000))
          for (; sentCount < due; sentCount++) server.broadcast(JSON.stringify({ id: 'L' + (sentCount + 1), type: 'message', text }))
          if (sentCount === TOTAL) {
            clearInterval(tick)
            done()
          }
        }, 5)
        // The bridge page's heap every 5 s (no forced GC mid-stream: that would be a long task of ours).
        const sampler = setInterval(() => {
          if (sentCount === TOTAL) return clearInterval(sampler)
          bridgeCdp.send('Runtime.getHeapUsage').then((h) => samples.push(h.usedSize), () => {})
        }, 5000)
      })
      const streamed = (Date.now() - started) / 1000
      for (const tab of [bridgeTab, baselineTab]) {
        await pageUntil(tab.page, (n) => (window as unknown as LoadWindow).__count >= n, TOTAL, 'all ' + TOTAL + ' messages to arrive', 120000)
      }
      const longTasks = await Promise.all([bridgeTab, baselineTab].map((tab) => tab.page.evaluate(() => (window as unknown as LoadWindow).__longTasks.slice())))
      const counts = await Promise.all([bridgeTab, baselineTab].map((tab) => tab.page.evaluate(() => [(window as unknown as LoadWindow).__count, (window as unknown as LoadWindow).__gaps])))
      await untilStoredLast(bridgeTab.page, room, 'L' + TOTAL)
      const stored = await storedMessages(bridgeTab.page, room)
      const status = await bridgeTab.page.evaluate(() => ((window as unknown as LoadWindow).WsBridge.bridge as Bridge).getStatus())
      const kept = await bridgeTab.page.evaluate(() => ((window as unknown as LoadWindow).WsBridge.bridge as Bridge).getMessages().length)
      const heapAfter = [await bridgeHeap(), await baselineHeap()]
      const grown = heapAfter.map((after, i) => after - heapBefore[i])
      const mb = (bytes: number) => (bytes / 1048576).toFixed(1) + ' MB'

      const [ours, baseline] = longTasks
      const worst = (list: number[]) => (list.length ? Math.max(...list) : 0) + ' ms'
      figure(
        'firehose ' + TOTAL + ' messages in ' + streamed.toFixed(1) + ' s: lost ' + (TOTAL - counts[0][0]) + ', out of order ' + counts[0][1] + ', kept ' + kept + ', stored ' + stored.length +
          '; long tasks >50 ms: bridge ' + ours.length + ' (worst ' + worst(ours) + ') vs raw WebSocket ' + baseline.length + ' (worst ' + worst(baseline) + ', limit ' + (2 * baseline.length + 3) + ')' +
          '; heap after GC: bridge ' + mb(heapBefore[0]) + ' → ' + mb(heapAfter[0]) + ' (mid-stream ' + samples.map(mb).join(', ') + '), raw ' + mb(heapBefore[1]) + ' → ' + mb(heapAfter[1]),
      )

      // Nothing lost, nothing out of order, nothing twice.
      expect(counts[0]).toEqual([TOTAL, 0])
      expect(counts[1]).toEqual([TOTAL, 0])
      expect(status.counters).toMatchObject({ received: TOTAL, stored: TOTAL, duplicates: 0, invalid: 0, dropped: 0 })
      expect(status.state).toBe('connected')
      // Bounded: 100 kept and stored, and the heap after GC within 4 MB of where it started
      // (30,000 leaked messages of 200+ characters would be over 6 MB of strings alone).
      expect(kept).toBe(100)
      expect(stored).toHaveLength(100)
      expect(stored.at(-1)!.id).toBe('L' + TOTAL)
      expect(grown[0]).toBeLessThan(4 * 1048576)
      // Responsive: long tasks (> 50 ms) compared with the raw page's, counted over the same 30 s.
      // Both pages run at the same time on the same cores as the server. On an idle machine the raw
      // page has next to none and the margin is 3 (a GC landing in one page and not the other). On a
      // busy one, long tasks in both are mostly the renderer descheduled mid-task, so their number
      // follows main-thread busy time, and the bridge does about 2.5x the raw page's work per message
      // (parse, serialize once for storage, dedup, emit vs parse alone; test/faults/storage-defects.test.ts
      // holds the O(1) dedup this suite forced). Hence twice the baseline plus 3. A bridge blocking
      // the thread per flush (20 a second) or per message would be hundreds to thousands over.
      expect(ours.length).toBeLessThanOrEqual(2 * baseline.length + 3)
      expect(bridgeTab.errors).toEqual([])
      expect(baselineTab.errors).toEqual([])
    },
  )
})
