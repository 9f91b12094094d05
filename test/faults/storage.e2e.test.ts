// Storage faults in real headless Chromium: the bridge keeps delivering, keeps
// a sane status, says so in exactly one console warning, and raises no page
// error. Build first (npm run build): the pages load dist/ws-bridge.min.js.
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Bridge, Message, Status } from '../../src/index'
import { checkChromium, serverUntil, storedMessages, storedStatus } from '../browser/browser'
import { PageServer, html, scriptTag } from '../browser/page-server'
import { EventServer } from '../helpers/ws-server'
import {
  type FaultWindow,
  type Tab,
  bridgePageMarkup,
  bridgeWarnings,
  figure,
  launch,
  openTab,
  pageStatus,
  pageUntil,
  untilConnected,
  untilDelivered,
  untilStoredLast,
} from './page-harness'
import { stopAll } from '../helpers/stop-all'

const TIMEOUT = 90000
const RETRY = { 'retry-delay': 100, 'max-retry-delay': 1000 }

/** Fills sessionStorage to the last byte, then frees `free` characters (stored as key "reserve"). */
const fillStorage = (free: number) =>
  '<script>\n(function () {\n' +
  "  sessionStorage.setItem('reserve', 'r'.repeat(" + free + '))\n' +
  "  var i = 0, chunk = 'f'.repeat(1 << 20)\n" +
  '  for (var size = chunk.length; size >= 1; size = Math.floor(size / 2)) {\n' +
  '    for (;;) { try { sessionStorage.setItem("filler_" + i++, chunk.slice(0, size)) } catch (e) { window.__fillError = e.name; break } }\n' +
  '  }\n' +
  "  sessionStorage.removeItem('reserve')\n" +
  '})()\n</script>'

/** A stored array that this library could have written: ≤ max objects, no id twice. */
function expectValidLog(list: unknown, max = 100): Message[] {
  expect(Array.isArray(list)).toBe(true)
  const messages = list as Message[]
  expect(messages.length).toBeLessThanOrEqual(max)
  for (const m of messages) expect(typeof m === 'object' && m !== null && !Array.isArray(m)).toBe(true)
  const ids = messages.map((m) => m.id)
  expect(new Set(ids).size).toBe(ids.length)
  return messages
}

function expectSaneStatus(status: Status) {
  expect(status.state).toBe('connected')
  for (const value of Object.values(status.counters)) expect(Number.isFinite(value) && value >= 0).toBe(true)
}

describe.skipIf(!checkChromium('the storage fault suite'))('storage faults in headless Chromium', { timeout: TIMEOUT }, () => {
  let browser: Browser
  let pages: PageServer
  let server: EventServer
  let contexts: BrowserContext[] = []

  beforeAll(async () => {
    pages = await new PageServer().start()
    server = await new EventServer().start()
    browser = await launch()
  })

  afterEach(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    contexts = []
  })

  afterAll(() => stopAll(browser && (() => browser.close()), pages && (() => pages.stop()), server && (() => server.stop())))

  /** Opens a page whose bridge dials this server at /<room>, and waits until the server has its socket. */
  async function open(room: string, options: { before?: string; init?: string; data?: Record<string, string | number> } = {}): Promise<Tab> {
    const url = pages.add(bridgePageMarkup({ url: server.url + '/' + room, room, ...RETRY, ...options.data }, options.before))
    const tab = await openTab(browser, url, contexts, options.init)
    await untilConnected(tab.page)
    await serverUntil(server, () => socketsOf(room).length > 0, 'the page of room ' + room + ' to connect')
    return tab
  }
  const socketsOf = (room: string) => server.open.filter((c) => c.url.pathname === '/' + room)
  /** Emits `count` events only to the sockets of `room`; returns their ids. */
  const sequence = new Map<string, number>()
  function stream(room: string, count: number, fields: Partial<Message> = {}): string[] {
    const ids: string[] = []
    for (let i = 0; i < count; i++) {
      sequence.set(room, (sequence.get(room) || 0) + 1)
      const id = room + '-' + sequence.get(room)
      const event = { id, type: 'message', ...fields }
      server.log.push(event as (typeof server.log)[number])
      for (const c of socketsOf(room)) c.socket.send(JSON.stringify(event))
      ids.push(id)
    }
    return ids
  }
  const delivered = (tab: Tab) => tab.page.evaluate(() => (window as unknown as FaultWindow).__got)
  const kept = (tab: Tab) => tab.page.evaluate(() => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getMessages())

  it('keeps delivering through a QuotaExceededError, with one warning, the newest messages that fit in storage and no page error', async () => {
    const room = 'quota'
    const tab = await open(room, { before: fillStorage(8 * 1024) })
    expect(await tab.page.evaluate(() => (window as unknown as FaultWindow).__fillError)).toBe('QuotaExceededError')
    // 300 messages of ~300 characters: 100 of them (~60 KB in UTF-16) cannot fit in 8 KB.
    const ids = stream(room, 300, { text: 'q'.repeat(300) })
    await untilDelivered(tab.page, 300)
    await pageUntil(tab.page, (r) => (JSON.parse(sessionStorage.getItem('ws_messages_' + r) || '[]') as Message[]).some((m) => m.id === r + '-300'), room, 'the newest message in storage')

    expect(await delivered(tab)).toEqual(ids)
    const stored = expectValidLog(await storedMessages(tab.page, room))
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.map((m) => m.id)).toEqual(ids.slice(-stored.length))
    const status = await pageStatus(tab.page)
    expectSaneStatus(status)
    expect(status.counters.dropped).toBeGreaterThan(0)
    const warnings = bridgeWarnings(tab)
    expect(warnings.map((w) => w.text)).toEqual(['[ws-bridge] storage is full: dropped the oldest messages of room "quota"'])
    expect(tab.errors).toEqual([])
    figure('quota (8 KB free): delivered ' + (await delivered(tab)).length + '/300, stored ' + stored.length + ', kept ' + (await kept(tab)).length +
      ', dropped counter ' + status.counters.dropped + ', warnings ' + warnings.length + ', page errors ' + tab.errors.length)
  })

  it('resumes from the last delivered id after a drop even when storage is too full for a single message', async () => {
    const room = 'quota-resume'
    // Room for the bridge's probe, not for one 2,000-character message.
    const tab = await open(room, { before: fillStorage(64) })
    const first = stream(room, 20, { text: 'z'.repeat(2000) })
    await untilDelivered(tab.page, 20)
    const dialled = socketsOf(room).length
    for (const c of socketsOf(room)) c.socket.terminate()
    await serverUntil(server, () => server.connections.filter((c) => c.url.pathname === '/' + room).length > dialled, 'the page to reconnect')
    const again = server.connections.filter((c) => c.url.pathname === '/' + room).at(-1)!
    const since = again.url.searchParams.get('since')
    await untilConnected(tab.page)
    const later = stream(room, 5, { text: 'after' })
    await untilDelivered(tab.page, 25)

    expect(since).toBe(first.at(-1))
    expect(await delivered(tab)).toEqual([...first, ...later])
    expect((await kept(tab)).map((m) => m.id)).toContain(later.at(-1))
    expectSaneStatus(await pageStatus(tab.page))
    expect(bridgeWarnings(tab)).toHaveLength(1)
    expect(tab.errors).toEqual([])
    figure('quota (64 chars free): delivered ' + (await delivered(tab)).length + '/25, resumed since=' + since + ', kept ' + (await kept(tab)).length +
      ', warnings ' + bridgeWarnings(tab).length + ', page errors ' + tab.errors.length)
  })

  it('moves to memory with one warning when reading window.sessionStorage throws (storage disabled)', async () => {
    const room = 'disabled'
    const init =
      "Object.defineProperty(window, 'sessionStorage', { configurable: true, get: function () { throw new DOMException('Access is denied for this document.', 'SecurityError') } })"
    const tab = await open(room, { init })
    const ids = stream(room, 150)
    await untilDelivered(tab.page, 150)

    expect(await delivered(tab)).toEqual(ids)
    expect((await kept(tab)).map((m) => m.id)).toEqual(ids.slice(-100))
    const status = await pageStatus(tab.page)
    expectSaneStatus(status)
    expect(status.storage).toBe('memory')
    expect(status.storageProblem).toContain('Access is denied')
    const warnings = bridgeWarnings(tab)
    expect(warnings).toHaveLength(1)
    expect(warnings[0].text).toContain('storage failed (Access is denied for this document.)')
    expect(tab.errors).toEqual([])
    figure('storage disabled: delivered ' + ids.length + '/150, kept ' + (await kept(tab)).length + ' in ' + status.storage + ', warnings ' + warnings.length + ', page errors ' + tab.errors.length)
  })

  it('moves to memory with one warning when sessionStorage starts throwing mid-stream, and says so in status', async () => {
    const room = 'throwing'
    const tab = await open(room)
    const before = stream(room, 30)
    await untilDelivered(tab.page, 30)
    await tab.page.evaluate(() => {
      const deny = () => {
        throw new DOMException('The storage was revoked.', 'SecurityError')
      }
      Storage.prototype.setItem = deny
      Storage.prototype.getItem = deny
      Storage.prototype.removeItem = deny
    })
    const after = stream(room, 120)
    await untilDelivered(tab.page, 150)
    await pageUntil(tab.page, () => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getStatus().storage === 'memory', null, 'status.storage to become memory')

    expect(await delivered(tab)).toEqual([...before, ...after])
    expect((await kept(tab)).map((m) => m.id)).toEqual([...before, ...after].slice(-100))
    const status = await pageStatus(tab.page)
    expectSaneStatus(status)
    expect(status.storageProblem).toContain('The storage was revoked.')
    expect(bridgeWarnings(tab)).toHaveLength(1)
    expect(tab.errors).toEqual([])
    figure('storage throwing mid-stream: delivered 150/150, kept ' + (await kept(tab)).length + ' in ' + status.storage + ', warnings ' + bridgeWarnings(tab).length + ', page errors ' + tab.errors.length)
  })

  const foreign: Array<[string, 'messages' | 'status', string]> = [
    ['corrupt JSON', 'messages', '[{"id":"old-1","type":"message"},{"id":'],
    ['an object instead of an array', 'messages', '{"messages":[{"id":"old-1"}]}'],
    ['an array of numbers and strings', 'messages', '[1,"two",null,[3]]'],
    ['corrupt JSON', 'status', '{"v":1,"state":"conn'],
    ['a foreign object', 'status', '{"user":"ann","theme":"dark"}'],
    ['counters that are not numbers', 'status', '{"v":1,"state":"connected","counters":{"received":"lots","stored":null,"duplicates":{},"invalid":-5}}'],
  ]

  it.each(foreign)('resets %s under ws_%s_{room} with one warning and keeps working', async (what, key, value) => {
    const room = 'foreign-' + key + '-' + foreign.findIndex((f) => f[0] === what && f[1] === key)
    const storageKey = 'ws_' + key + '_' + room
    const before = '<script>sessionStorage.setItem(' + JSON.stringify(storageKey) + ', ' + JSON.stringify(value) + ')</script>'
    const tab = await open(room, { before })
    const ids = stream(room, 10)
    await untilDelivered(tab.page, 10)
    await pageUntil(tab.page, (r) => (JSON.parse(sessionStorage.getItem('ws_messages_' + r) || '[]') as Message[]).length === 10, room, 'the 10 messages in storage')

    expect(await delivered(tab)).toEqual(ids)
    expect((await kept(tab)).map((m) => m.id)).toEqual(ids)
    expect(expectValidLog(await storedMessages(tab.page, room)).map((m) => m.id)).toEqual(ids)
    const status = await pageStatus(tab.page)
    expectSaneStatus(status)
    expect(status.counters).toMatchObject({ received: 10, stored: 10, invalid: 0 })
    const saved = await storedStatus(tab.page, room)
    expect(saved && saved.room).toBe(room)
    const warnings = bridgeWarnings(tab)
    expect(warnings.map((w) => w.text)).toEqual(['[ws-bridge] reset "' + storageKey + '": it held data this library did not write'])
    expect(tab.errors).toEqual([])
    figure('foreign ' + key + ' (' + what + '): delivered 10/10, warnings ' + warnings.length + ', counters ' + JSON.stringify(status.counters) + ', page errors ' + tab.errors.length)
  })

  // Decided behaviour for two bridges on one room in one tab: they share the
  // storage keys, so the stored array is whichever wrote last; each bridge
  // reads what the other stored when it starts and dedups by id, so the array
  // stays a valid list of ≤100 real messages, no id twice, in server order, and
  // each bridge delivers every message once to its own listeners.
  it('lets two bridges on the same room in one tab share storage without corrupting it or delivering anything twice', async () => {
    const room = 'twins'
    const tab = await open(room)
    const early = stream(room, 40)
    await untilDelivered(tab.page, 40)
    // Writes are coalesced (flushDelay), so a bridge started before the flush
    // reads an older array and rightly fetches the rest from the server: its
    // listeners never saw those. Start it once the first 40 are stored, so what
    // it should deliver is exactly what comes after.
    await untilStoredLast(tab.page, room, room + '-40', 'the first 40 in storage')
    // The second bridge, as an app calling WsBridge.connect next to the tag would.
    await tab.page.evaluate(
      ([url, r]) => {
        const w = window as unknown as FaultWindow
        const second = w.WsBridge.connect({ url, room: r, retryDelay: 100, maxRetryDelay: 1000 })
        w.__second = second
        const got: unknown[] = (w.__got2 = [])
        second.on('message', (m) => got.push(m.id))
      },
      [server.url + '/' + room, room] as const,
    )
    await serverUntil(server, () => socketsOf(room).length === 2, 'the second bridge to connect')
    await pageUntil(tab.page, () => ((window as unknown as FaultWindow).__second as Bridge).getStatus().state === 'connected', null, 'the second bridge to be connected')
    const both = stream(room, 260)
    // A drop of both sockets in the middle: each resumes from its own last id.
    for (const c of socketsOf(room)) c.socket.terminate()
    await serverUntil(server, () => socketsOf(room).length === 2, 'both bridges to reconnect')
    const last = stream(room, 20)
    await untilDelivered(tab.page, 320)
    await pageUntil(tab.page, (n) => ((window as unknown as FaultWindow).__got2 as unknown[]).length >= n, 280, 'the second bridge to deliver 280')
    await untilStoredLast(tab.page, room, room + '-320')
    await tab.page.evaluate(() => {
      const w = window as unknown as FaultWindow
      ;(w.WsBridge.bridge as Bridge).close()
      ;(w.__second as Bridge).close()
    })

    const all = [...early, ...both, ...last]
    expect(await delivered(tab)).toEqual(all)
    expect(await tab.page.evaluate(() => (window as unknown as FaultWindow).__got2)).toEqual([...both, ...last])
    const stored = expectValidLog(await storedMessages(tab.page, room))
    expect(stored.map((m) => m.id)).toEqual(all.slice(-100))
    const saved = await storedStatus(tab.page, room)
    expect(saved && saved.state).toBe('closed')
    expect(bridgeWarnings(tab)).toEqual([])
    expect(tab.errors).toEqual([])
    figure('two bridges, one room: delivered ' + all.length + ' + ' + (both.length + last.length) + ', stored ' + stored.length + ' valid, no id twice, warnings 0, page errors ' + tab.errors.length)
  })

  it('starts a reloaded page from the shared array two bridges left behind', async () => {
    const room = 'twins-reload'
    const tab = await open(room)
    await tab.page.evaluate(
      ([url, r]) => {
        ;(window as unknown as FaultWindow).WsBridge.connect({ url, room: r })
      },
      [server.url + '/' + room, room] as const,
    )
    await serverUntil(server, () => socketsOf(room).length === 2, 'the second bridge to connect')
    const ids = stream(room, 130)
    await untilDelivered(tab.page, 130)
    await untilStoredLast(tab.page, room, room + '-130')
    await tab.page.goto(pages.add(html(scriptTag({ url: server.url + '/' + room, room }))))
    await untilConnected(tab.page)

    expect((await kept(tab)).map((m) => m.id)).toEqual(ids.slice(-100))
    expect(bridgeWarnings(tab)).toEqual([])
    expect(tab.errors).toEqual([])
    figure('two bridges then reload: kept ' + (await kept(tab)).length + ' of ' + ids.length + ', warnings 0')
  })
})
