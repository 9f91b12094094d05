// Hostile input in real headless Chromium: garbage, binary and huge frames;
// HTML and script in messages and status (the Streamlit component's
// indicator, examples/script-tag.html, _wsDebug output); tokens in URLs on
// the close, error and fallback paths. Build first (npm run build).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import fc from 'fast-check'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Bridge, Message } from '../../src/index'
import { allSessionStorage, checkChromium, serverUntil, storedMessages } from '../browser/browser'
import { PageServer, ROOT, html } from '../browser/page-server'
import { EventServer } from '../helpers/ws-server'
import { type Proc, startGameServer } from '../streamlit/processes'
import {
  type FaultWindow,
  type Tab,
  bridgePageMarkup,
  figure,
  launch,
  openTab,
  pageStatus,
  pageUntil,
  untilConnected,
} from './page-harness'
import { stopAll } from '../helpers/stop-all'

const TIMEOUT = 120000
const PYTHON = join(ROOT, '.venv/bin/python')
const COMPONENT_PAGE = join(ROOT, 'python/streamlit_ws_bridge/frontend/build/index.html')
const EXAMPLE_PAGE = join(ROOT, 'examples/script-tag.html')
const RETRY = { 'retry-delay': 100, 'max-retry-delay': 1000 }

/**
 * Payloads that push their kind onto window.__pwned if they are ever parsed as HTML, run as
 * script or followed as a link: one of each way in (an event handler, a script element, an SVG
 * element's handler, a frame's script reaching its parent, a javascript: URL). The SVG one is an
 * <image> error rather than <svg onload>: Chromium fires an inserted <svg>'s load only while the
 * document itself is still loading, so the control case could not count on it.
 */
const XSS = [
  '<img src=x onerror="(window.__pwned=window.__pwned||[]).push(\'img\')">',
  '<script>(window.__pwned=window.__pwned||[]).push("script")</script>',
  '<svg><image href="x" onerror="(window.__pwned=window.__pwned||[]).push(\'svg\')"></image></svg>',
  '"><iframe srcdoc="<script>(parent.__pwned=parent.__pwned||[]).push(\'iframe\')</script>">',
  'javascript:(window.__pwned=window.__pwned||[]).push("href")',
]
const XSS_KINDS = ['href', 'iframe', 'img', 'script', 'svg']

/** JSON for an inline <script>: a "</script>" inside a string must not end the element. */
const inlineJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c')

/** Nothing ran, and no element a payload would have made exists in `where`. */
async function expectNothingRan(page: Page, where = 'body') {
  expect(await page.evaluate(() => (window as unknown as FaultWindow).__pwned), 'payloads that ran').toBeUndefined()
  const made = ['img', 'svg', 'iframe', 'object', 'embed', 'a[href^="javascript:" i]'].map((tag) => where + ' ' + tag).join(', ')
  expect(await page.locator(made).count(), 'elements a payload made').toBe(0)
}

/**
 * A page that renders what the bridge hands it (each message's player and text, every lastError
 * and error event) into #feed, the way the README tells apps to: textContent. With render
 * 'html' it does what the README warns against, so the same checks are seen to fail.
 */
function renderingPage(url: string, room: string, render: 'text' | 'html'): string {
  return html(
    '<ol id="feed"></ol>\n<script src="/dist/ws-bridge.min.js"></script>\n<script>\n' +
      'var attempts = 0\n' +
      'var feed = document.getElementById("feed")\n' +
      'function show(text) {\n' +
      '  if (typeof text !== "string") return\n' +
      '  var item = document.createElement("li")\n' +
      (render === 'text'
        ? '  item.textContent = text\n'
        : '  item.appendChild(document.createRange().createContextualFragment(text))\n' +
          '  if (/^javascript:/.test(text)) { var link = document.createElement("a"); link.href = text; item.appendChild(link); link.click() }\n') +
      '  feed.appendChild(item)\n' +
      '}\n' +
      // The URL provider's first attempt fails with an HTML message: it lands in status.lastError.
      'window.__bridge = WsBridge.connect({ room: ' + JSON.stringify(room) + ', retryDelay: 100, url: function () {\n' +
      '  if (attempts++ === 0) return Promise.reject(new Error(' + inlineJson(XSS.join(' ')) + '))\n' +
      '  return ' + JSON.stringify(url) + '\n' +
      '} })\n' +
      "window.__lastErrors = []\n" +
      "__bridge.on('status', function (s) { if (s.lastError) { __lastErrors.push(s.lastError); show(s.lastError) } })\n" +
      "__bridge.on('error', function (e) { show(e.message) })\n" +
      "__bridge.on('message', function (m) { show(m.player); show(m.text) })\n" +
      '</script>',
  )
}

const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

// Frames a hostile or broken server might send (the Node fuzzing of test/fuzz.test.ts, sampled into a real page).
const hostileFrame: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify({ id: v, type: 'x' })),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"id":"p1"}',
    '{"constructor":{"prototype":{"polluted":true}},"id":"p2"}',
    '{"id":"__proto__","type":"__proto__"}',
    '{"id":null}',
    '{"id":{"nested":[1,2]}}',
    '{"id":1e400}',
    '\uD800\uDC00\uDFFF',
    '',
  ),
)

describe.skipIf(!checkChromium('the hostile-input suite'))('hostile input in headless Chromium', { timeout: TIMEOUT }, () => {
  let browser: Browser
  let pages: PageServer
  let contexts: BrowserContext[] = []
  let servers: EventServer[] = []
  let game: (Proc & { url: string }) | null = null

  const startServer = async (options: ConstructorParameters<typeof EventServer>[0] = {}) => {
    const server = await new EventServer(options).start()
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

  afterAll(() => stopAll(browser && (() => browser.close()), pages && (() => pages.stop()), game && (() => (game as Proc).stop())))

  async function bridgeTab(server: EventServer, room: string, data: Record<string, string | number> = {}, init?: string): Promise<Tab> {
    const tab = await openTab(browser, pages.add(bridgePageMarkup({ url: server.url, room, ...RETRY, ...data })), contexts, init)
    await untilConnected(tab.page)
    await serverUntil(server, () => server.open.length > 0, 'the page to connect')
    return tab
  }

  describe('frames', () => {
    it('survives garbage, binary, deep and huge frames with no page error, every bad one counted and reported, 100 kept at most', async () => {
      const server = await startServer()
      const room = 'garbage'
      const tab = await bridgeTab(server, room)
      const cdp = await tab.context.newCDPSession(tab.page)
      const heap = async () => {
        await cdp.send('HeapProfiler.collectGarbage')
        return (await cdp.send('Runtime.getHeapUsage')).usedSize
      }
      const heapBefore = await heap()
      const frames: Array<string | Buffer> = [
        ...fc.sample(hostileFrame, { numRuns: 300, seed: 4242 }),
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
        Buffer.from(JSON.stringify({ id: 'binary-json', type: 'message' })),
        Buffer.alloc(256 * 1024),
        nestedArrays(200_000),
        nestedObjects(150_000),
        JSON.stringify({ id: 'x'.repeat(500_000), type: 'huge id' }),
        JSON.stringify({ id: 'one-mb', text: 'm'.repeat(1_000_000 - 40) }),
        JSON.stringify({ id: 'ten-mb', text: 't'.repeat(10_000_000) }),
        ...Array.from({ length: 150 }, (_, i) => JSON.stringify({ id: 'bulk-' + i, type: 'message', text: XSS[i % XSS.length] })),
      ]
      const before = (await pageStatus(tab.page)).counters
      for (const frame of frames) server.broadcast(frame)
      server.broadcast(JSON.stringify({ id: 'last', type: 'message' }))
      await pageUntil(
        tab.page,
        (n) => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getStatus().counters.received >= n,
        before.received + frames.length + 1,
        'every frame to be received',
        60000,
      )
      await pageUntil(tab.page, () => (JSON.parse(sessionStorage.getItem('ws_messages_garbage') || '[]') as Message[]).some((m) => m.id === 'last'), null, 'the last message in storage')

      const status = await pageStatus(tab.page)
      const { received, stored, duplicates, invalid } = status.counters
      expect(status.state).toBe('connected')
      expect(received - before.received).toBe(frames.length + 1)
      expect(stored + duplicates + invalid).toBe(received)
      const reported = await tab.page.evaluate(() => (window as unknown as FaultWindow).__bridgeErrors.filter((e) => e.startsWith('frame: ')).length)
      expect(reported).toBe(invalid)
      expect(invalid).toBeGreaterThanOrEqual(5)
      const kept = await tab.page.evaluate(() => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getMessages())
      expect(kept.length).toBeLessThanOrEqual(100)
      expect(kept.at(-1)!.id).toBe('last')
      expect(kept.map((m) => m.id)).not.toContain('ten-mb')
      const inStorage = await storedMessages(tab.page, room)
      expect(inStorage.length).toBeLessThanOrEqual(100)
      expect(await tab.page.evaluate(() => ({}.constructor === Object && !('polluted' in {}) && !('polluted' in Object.prototype)))).toBe(true)
      await expectNothingRan(tab.page)
      expect(tab.errors).toEqual([])
      expect(server.connections.length).toBe(1)
      const grown = (await heap()) - heapBefore
      // The page keeps one 1 MB message (and its JSON text); a retained 10 MB frame alone would pass this bound.
      expect(grown).toBeLessThan(10 * 1024 * 1024)
      figure('hostile frames: ' + frames.length + ' sent (300 fuzzed, binary, 200k-deep, 1 MB, 10 MB), invalid ' + invalid + ' = reported ' + reported +
        ', kept ' + kept.length + ', heap +' + (grown / 1048576).toFixed(1) + ' MB, page errors ' + tab.errors.length)
    })

    it('keeps a room named __proto__ as its own key in _wsDebug.bridges and storage', async () => {
      const server = await startServer()
      const tab = await bridgeTab(server, '__proto__')
      server.emit({ text: 'hi' })
      await pageUntil(tab.page, () => !!sessionStorage.getItem('ws_messages___proto__'), null, 'the message in storage')
      const seen = await tab.page.evaluate(() => {
        const w = window as unknown as FaultWindow
        const bridges = (w._wsDebug as NonNullable<FaultWindow['_wsDebug']>).bridges
        // The entry is that bridge's console face: its own key, for the room named __proto__.
        const entry = Object.getOwnPropertyDescriptor(bridges, '__proto__')?.value as { room?: string } | undefined
        return { keys: Object.keys(bridges), same: entry?.room === '__proto__', plain: Object.getPrototypeOf({}) === Object.prototype }
      })
      expect(seen).toEqual({ keys: ['__proto__'], same: true, plain: true })
      expect(tab.errors).toEqual([])
      figure('room "__proto__": own key in _wsDebug.bridges, page errors 0')
    })
  })

  describe('XSS', () => {
    it('never runs HTML or script from messages, close reasons or lastError through _wsDebug, status, the console, or a page that renders them as text', async () => {
      const server = await startServer()
      const room = 'xss-debug'
      const tab = await openTab(browser, pages.add(renderingPage(server.url, room, 'text')), contexts)
      await serverUntil(server, () => server.open.length === 1, 'the page to connect')
      for (const [i, text] of XSS.entries()) server.emit({ type: 'message', player: text, text, id: 'x' + i })
      await pageUntil(tab.page, (n) => (window as unknown as { __bridge: Bridge }).__bridge.getMessages().length === n, XSS.length, 'the hostile messages')
      // The server closes with an HTML close reason; the bridge reconnects.
      for (const c of server.open) c.socket.close(4000, XSS[0])
      await serverUntil(server, () => server.connections.length === 2 && server.open.length === 1, 'the page to reconnect')

      // What a developer does in the console: print and dump everything _wsDebug offers.
      const dumped = await tab.page.evaluate(() => {
        const debug = (window as unknown as FaultWindow)._wsDebug as NonNullable<FaultWindow['_wsDebug']>
        const status = debug.getStatus()
        console.log('status', status)
        console.log('messages', JSON.stringify(debug.getMessages()))
        console.table(debug.getMessages())
        return { status, messages: debug.getMessages() as Message[], lastErrors: (window as unknown as { __lastErrors: string[] }).__lastErrors }
      })
      expect(dumped.lastErrors[0]).toBe('no URL: ' + XSS.join(' '))
      expect(dumped.messages.map((m) => m.text)).toEqual(XSS)
      expect(dumped.status && dumped.status.lastCloseCode).toBe(4000)
      // The page really rendered every payload (as text), so the check below has something to find.
      const shown = await tab.page.locator('#feed li').allTextContents()
      for (const text of XSS) expect(shown.filter((line) => line === text)).toHaveLength(2)
      expect(shown).toContain('no URL: ' + XSS.join(' '))
      await expectNothingRan(tab.page)
      expect(tab.errors).toEqual([])
      figure('XSS via _wsDebug: ' + XSS.length + ' payloads in messages, lastError and a close reason, dumped 3 ways and rendered as text (' + shown.length + ' lines); ran 0, page errors ' + tab.errors.length)
    })

    it('catches every payload when the same page renders them as HTML, so the checks above can fail', async () => {
      const server = await startServer()
      const tab = await openTab(browser, pages.add(renderingPage(server.url, 'xss-control', 'html')), contexts)
      await serverUntil(server, () => server.open.length === 1, 'the page to connect')
      for (const [i, text] of XSS.entries()) server.emit({ type: 'message', player: 'p', text, id: 'c' + i })
      await pageUntil(
        tab.page,
        (n) => new Set((window as unknown as { __pwned?: string[] }).__pwned || []).size === n,
        XSS_KINDS.length,
        'every payload to run on the unsafe page',
      ).catch(async (err: Error) => {
        // Say which payloads ran and what the page got, so a failure here can be told apart.
        const seen = await tab.page.evaluate(() => ({
          ran: [...new Set((window as unknown as { __pwned?: string[] }).__pwned || [])],
          messages: (window as unknown as { __bridge: Bridge }).__bridge.getMessages().length,
          feed: document.querySelectorAll('#feed li').length,
        }))
        throw new Error(err.message + ' (ran ' + JSON.stringify(seen.ran) + ', messages ' + seen.messages + ', feed lines ' + seen.feed + ', page errors ' + JSON.stringify(tab.errors) + ')')
      })
      const ran = await tab.page.evaluate(() => [...new Set((window as unknown as { __pwned: string[] }).__pwned)].sort())
      expect(ran).toEqual(XSS_KINDS)
      await expect(expectNothingRan(tab.page)).rejects.toThrow()
      await expect(expectNothingRan(tab.page, '#feed')).rejects.toThrow()
      figure('XSS control: the same page rendering with HTML ran ' + ran.length + ' of ' + XSS.length + ' payloads (' + ran.join(', ') + '); the check failed on it')
    })

    it("never runs HTML or script through the Streamlit component's indicator (the built component frame), all five payloads in every field", async () => {
      expect(existsSync(COMPONENT_PAGE), COMPONENT_PAGE + ' (npm run build)').toBe(true)
      const server = await startServer({ refuseUpgrades: true })
      const tab = await openTab(browser, pathToFileURL(COMPONENT_PAGE).href, contexts)
      const ALL = XSS.join(' ')
      // Streamlit's render message, as the app would post it; every string in it carries all five payloads.
      const render = (args: Record<string, unknown>) =>
        tab.page.evaluate(
          ([a, payload]) =>
            window.postMessage(
              { isStreamlitMessage: true, type: 'streamlit:render', args: a, dfs: [], disabled: false,
                theme: { base: payload, primaryColor: payload, backgroundColor: payload, secondaryBackgroundColor: payload, textColor: payload, font: payload } },
              '*',
            ),
          [args, ALL] as const,
        )
      const indicator = tab.page.locator('#status')
      // 1. No url: the indicator shows the component's own problem text.
      await render({ room: ALL, show_status: true })
      await pageUntil(tab.page, () => (document.getElementById('status') as HTMLElement).textContent!.includes('needs url and room'), null, 'the problem label')
      // 2. A hostile room, url path and query, fallback URL, a server that refuses: a countdown label, repainted every second.
      await render({ url: server.url + '/ws/' + encodeURIComponent(ALL) + '?p=' + encodeURIComponent(ALL), room: ALL, fallback_url: ALL, show_status: true })
      await pageUntil(tab.page, () => /Connection error|Disconnected/.test((document.getElementById('status') as HTMLElement).textContent || ''), null, 'the error label')
      await serverUntil(server, () => server.upgrades.length >= 2, 'two refused attempts')
      const label = await indicator.textContent()
      const children = await indicator.evaluate((el) => el.children.length)
      const seen = await tab.page.evaluate(() => {
        const status = ((window as unknown as FaultWindow)._wsDebug as NonNullable<FaultWindow['_wsDebug']>).getStatus()
        return { lastError: status?.lastError, room: status?.room, theme: document.body.getAttribute('data-theme') }
      })

      expect(label).toMatch(/^🔴 (Connection error|Disconnected)/)
      expect(children).toBe(0)
      expect(seen.lastError).toMatch(/^connection failed|poll failed/)
      // The payloads really reached the frame: as the bridge's room and as an attribute of the page.
      expect(seen.room).toBe(ALL)
      expect(seen.theme).toBe(ALL)
      expect(server.upgrades[0]).toContain(encodeURIComponent(XSS[0]))
      await expectNothingRan(tab.page)
      expect(tab.errors).toEqual([])
      figure('XSS via the component indicator: all ' + XSS.length + ' payloads in room, url, query, fallback url and every theme field; label "' + label + '", child elements ' + children + ', ran 0, page errors ' + tab.errors.length)
    })

    it('never runs HTML or script from chat messages or the player name in examples/script-tag.html', async () => {
      const gameServer = (game = game || (await startGameServer(PYTHON)))
      const room = 'xss-example'
      const player = XSS[0]
      const pageOf = (name: string) =>
        openTab(browser, pathToFileURL(EXAMPLE_PAGE).href + '?server=' + encodeURIComponent(gameServer.url) + '&room=' + room + '&player=' + encodeURIComponent(name), contexts)
      // The server refuses a socket for a name outside its name rule (PROTOCOL.md, "Names"): one page
      // shows the hostile name as its own player, another page, connected, gets chat lines from it.
      const named = await pageOf(player)
      const tab = await pageOf('eve')
      await tab.page.getByText('🟢 Connected').waitFor()
      for (const text of XSS) {
        const response = await fetch(gameServer.url + '/rooms/' + room + '/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ player, text }),
        })
        expect(response.status).toBe(200)
      }
      await pageUntil(tab.page, (n) => document.querySelectorAll('#chat li').length >= n, XSS.length, 'the hostile chat lines')
      const lines = await tab.page.locator('#chat li').allTextContents()
      expect(lines.slice(-XSS.length)).toEqual(XSS.map((text) => player + ': ' + text))
      expect(await named.page.locator('#where').textContent()).toBe(player + ' in ' + room)
      for (const shown of [named, tab]) {
        await expectNothingRan(shown.page)
        expect(shown.errors).toEqual([])
      }
      figure('XSS via examples/script-tag.html: ' + XSS.length + ' hostile chat messages and a hostile player name shown as text; ran 0, page errors ' + (named.errors.length + tab.errors.length))
    })
  })

  describe('secrets', () => {
    const SECRET = 's3cret-' + Math.random().toString(36).slice(2)
    /**
     * Chromium itself logs a failed handshake or fetch with its full URL
     * ("WebSocket connection to 'ws://…?token=…' failed", "Access to fetch at 'http://…?token=…' … blocked by CORS",
     * "GET http://…?token=… net::ERR_…");
     * no script can stop that, so those browser lines are left out. Everything
     * else, the library's lines and the app's, must not hold the secret.
     */
    const scriptConsole = (tab: Tab) =>
      tab.console.filter((m) => !/^WebSocket connection to '|^Access to fetch at '|^(GET|POST) https?:\/\/|^Failed to load resource/.test(m.text))

    async function expectNoSecret(tab: Tab) {
      const everything = await tab.page.evaluate(() => {
        const w = window as unknown as FaultWindow
        const debug = w._wsDebug as NonNullable<FaultWindow['_wsDebug']>
        return JSON.stringify({
          debug: debug.getStatus(),
          messages: debug.getMessages(),
          bridges: Object.keys(debug.bridges).map((room) => debug.bridges[room].getStatus()),
          errors: w.__bridgeErrors,
        })
      })
      expect(everything).not.toContain(SECRET)
      expect(JSON.stringify(await allSessionStorage(tab.page))).not.toContain(SECRET)
      expect(scriptConsole(tab).filter((m) => m.text.includes(SECRET))).toEqual([])
    }

    it('keeps a query token out of status, storage, _wsDebug and the console when the handshake fails and the fallback URL carries it too', async () => {
      const server = await startServer({ refuseUpgrades: true })
      const room = 'secret-fail'
      const tab = await openTab(
        browser,
        pages.add(bridgePageMarkup({ url: server.url + '/ws?token=' + SECRET, room, 'fallback-url': server.httpUrl + '/nope?token=' + SECRET, 'fallback-interval': 200, ...RETRY })),
        contexts,
      )
      await serverUntil(server, () => server.upgrades.length >= 3, 'three refused handshakes')
      await pageUntil(tab.page, () => (window as unknown as FaultWindow).__bridgeErrors.some((e) => e.startsWith('fallback: ')), null, 'a failed poll')
      // The app logs what it sees, as apps do.
      await tab.page.evaluate(() => {
        const bridge = (window as unknown as FaultWindow).WsBridge.bridge as Bridge
        console.log('status ' + JSON.stringify(bridge.getStatus()))
        console.error('errors ' + (window as unknown as FaultWindow).__bridgeErrors.join(' | '))
      })
      const status = await pageStatus(tab.page)

      expect(server.upgrades.every((url) => url.includes('token=' + SECRET))).toBe(true)
      expect(status.state).toBe('error')
      expect(status.lastError).toMatch(/^connection failed \(code 1006\)/)
      expect(status.url).toContain('token=***')
      await expectNoSecret(tab)
      expect(tab.errors).toEqual([])
      const browserLines = tab.console.length - scriptConsole(tab).length
      figure('secret, failed handshake + fallback: ' + server.upgrades.length + ' attempts, lastError "' + status.lastError + '", url ' + status.url +
        '; secret in status/storage/_wsDebug/script console 0 (browser network lines left out: ' + browserLines + ')')
    })

    it('keeps a token from an async URL provider out of everything when the server closes with 1008 and the next attempt gets a fresh one', async () => {
      const server = await startServer()
      const room = 'secret-provider'
      const markup = html(
        '<script src="/dist/ws-bridge.min.js"></script>\n<script>\n' +
          'var n = 0; window.__bridgeErrors = []\n' +
          'window.__bridge = WsBridge.connect({ room: ' + JSON.stringify(room) + ', retryDelay: 100, url: async function () {\n' +
          '  await new Promise(function (r) { setTimeout(r, 1) })\n' +
          '  return ' + JSON.stringify(server.url + '/ws/' + room + '/ann?token=' + SECRET + '-') + ' + (++n)\n' +
          '} })\n' +
          "__bridge.on('error', function (e) { __bridgeErrors.push(e.kind + ': ' + e.message) })\n" +
          '</script>',
      )
      const tab = await openTab(browser, pages.add(markup), contexts)
      await serverUntil(server, () => server.open.length === 1, 'the first connection')
      server.emit({ text: 'hello' })
      await pageUntil(tab.page, () => (window as unknown as { __bridge: Bridge }).__bridge.getMessages().length === 1, null, 'the message')
      // The token expired: the server closes with 1008, as the example server does.
      for (const c of server.open) c.socket.close(1008, 'invalid or expired token')
      await serverUntil(server, () => server.connections.length === 2 && server.open.length === 1, 'the page to reconnect')
      await tab.page.evaluate(() => console.log('status', JSON.stringify((window as unknown as { __bridge: Bridge }).__bridge.getStatus())))
      const status = await tab.page.evaluate(() => (window as unknown as { __bridge: Bridge }).__bridge.getStatus())

      expect(server.connections.map((c) => c.url.searchParams.get('token'))).toEqual([SECRET + '-1', SECRET + '-2'])
      expect(server.connections[1].url.searchParams.get('since')).toBe('e1')
      expect(status.url).toBe(server.url + '/ws/' + room + '/ann?token=***&since=e1')
      await pageUntil(tab.page, () => (window as unknown as { __bridge: Bridge }).__bridge.getStatus().state === 'connected', null, 'connected again')
      await expectNoSecret(tab)
      expect(tab.errors).toEqual([])
      figure('secret, async provider + 1008 close: tokens fresh per attempt (2), status.url ' + status.url + ', secret shown 0 times')
    })
  })
})
