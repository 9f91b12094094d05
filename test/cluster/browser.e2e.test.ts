// A replica killed under real Chromium pages: the built script tag in headless
// Chromium, connected through HAProxy to 3 replicas on Redis (scripts/cluster.mjs),
// on one Redis and on a Redis Cluster of 3 masters (STORES; its 3 rooms on 3 masters).
// One replica is killed with SIGKILL mid-stream; every page is checked against
// Redis's own stream (XRANGE): every event once, in order, no reset. Prints its figure.
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkChromium } from '../browser/browser'
import { PageServer, html, scriptTag } from '../browser/page-server'
import { stopAll } from '../helpers/stop-all'
import { type FaultWindow, type Tab, launch, openTab, untilConnected } from '../faults/page-harness'
import type { Client } from './clients'
import { type Cluster, STORES, clusterTools, lastIds, storeKit, until, victimSockets } from './cluster-kit'
import { streams, tallyAll } from './ledger'
import { Publisher } from './publisher'

// Their slots fall on the 3 masters of a Redis Cluster (checked by the case).
const ROOMS = ['page1', 'page2', 'page3']
const PAGES_PER_ROOM = 2
const TIMEOUT = 180000

type PageWindow = FaultWindow & { __resets: Array<{ since: string | null; resume: string; reason: string }> }

const recorder =
  '<script>\nwindow.__got = []; window.__resets = []\n' +
  "WsBridge.bridge.on('message', function (m) { __got.push(String(m.id)) })\n" +
  "WsBridge.bridge.on('reset', function (r) { __resets.push(r); __got.push('reset:' + r.resume) })\n</script>"

interface OpenPage {
  tab: Tab
  room: string
  name: string
}

/** A page's record, shaped like a Node client's for the ledger. */
async function record({ tab, room, name }: OpenPage): Promise<Client> {
  const { got, resets } = await tab.page.evaluate(() => ({ got: (window as unknown as PageWindow).__got as string[], resets: (window as unknown as PageWindow).__resets }))
  return { name, room, got, resets } as unknown as Client
}

/** PAGES_PER_ROOM pages in each room, through the balancer, each connected. */
async function openPages(browser: Browser, pages: PageServer, c: Cluster, contexts: BrowserContext[]): Promise<OpenPage[]> {
  const opened: OpenPage[] = []
  for (const room of ROOMS) {
    for (let i = 0; i < PAGES_PER_ROOM; i++) {
      const ws = c.lb.url.replace(/^http/, 'ws') + '/ws/' + room + '/p' + i
      const markup = html(scriptTag({ url: ws, room, 'retry-delay': 100, 'max-retry-delay': 1000 }) + '\n' + recorder)
      const tab = await openTab(browser, pages.add(markup), contexts)
      await untilConnected(tab.page)
      opened.push({ tab, room, name: 'p' + i })
    }
  }
  return opened
}

const enabled = checkChromium('the cluster browser case') && clusterTools('the cluster browser case')

describe.skipIf(!enabled)('a replica killed under Chromium pages behind HAProxy', { timeout: TIMEOUT }, () => {
  // One Chromium for both stores; each store's case closes its own pages and cluster.
  let browser: Browser
  let pages: PageServer

  beforeAll(async () => {
    pages = await new PageServer().start()
    browser = await launch()
  })

  afterAll(async () => {
    await stopAll(() => browser?.close(), () => pages?.stop())
  })

  for (const store of STORES) describe('on ' + store.name, () => {
    const kit = storeKit(store)
    let cluster: Cluster | null = null
    let publisher: Publisher | null = null
    const contexts: BrowserContext[] = []

    afterAll(async () => {
      await stopAll(
        () => publisher?.stop(),
        async () => {
          for (const context of contexts) await context.close().catch(() => {})
        },
        () => cluster?.stop(),
      )
    })

    it('loses and repeats nothing in any page when the replica some of them are on is killed with SIGKILL', async () => {
      const c = (cluster = await kit.start())
      expect(await kit.masters(c, ROOMS)).toBe(store.masters)
      const tabs = await openPages(browser, pages, c, contexts)
      publisher = new Publisher(() => c.replicas[2].url, ROOMS, 40)
      await until(async () => (await Promise.all(tabs.map(record))).every((r) => r.got.length >= 3), 'every page receiving events')
      const victim = c.replicas[0]
      const onVictim = await victimSockets(victim)
      process.kill(victim.pid as number, 'SIGKILL')
      await until(async () => ((await c.states()).replica1 || '').startsWith('DOWN'), 'HAProxy to mark the killed replica down')
      const moreFrom = publisher.acked
      await until(() => (publisher as Publisher).acked > moreFrom + 80, 'more events after the kill')
      await publisher.stop()
      const logs = await streams(c.redis.port, ROOMS)
      const last = lastIds(logs)
      await until(
        async () => (await Promise.all(tabs.map(record))).every((r) => r.got.includes(last.get(r.room) as string)),
        'every page to have its room\'s last event',
      )
      for (const t of tabs) await untilConnected(t.tab.page)

      const total = tallyAll(await Promise.all(tabs.map(record)), logs)
      expect(onVictim).toBeGreaterThan(0)
      expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
      kit.figure(`kill -9 one of 3 replicas under ${tabs.length} Chromium pages (script tag, ${ROOMS.length} rooms on ${store.masters} master(s), ~40 events/s): ` +
        `${onVictim} on the killed replica; ${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
    })
  })
})
