// The built script tag (dist/ws-bridge.min.js) in real headless Chromium,
// against the real EventServer on 127.0.0.1. Build first: npm run build.
// No timed assertions: every wait is on a condition (page.waitForFunction,
// server.until); the limits only turn a hang into a readable failure.
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Bridge } from '../../src/index'
import { EventServer } from '../helpers/ws-server'
import {
  CHROMIUM_ARGS,
  checkChromium,
  executablePath,
  type PageGlobals,
  allSessionStorage,
  bridgeMessageIds,
  bridgeStatus,
  ids,
  openPage,
  range,
  serverUntil,
  storedMessages,
  storedStatus,
  waitConnected,
  waitStored,
} from './browser'
import { PageServer, ROOT, SCRIPT_FILE, html, scriptBuilt, scriptTag } from './page-server'

const TIMEOUT = 60000
type Debug = NonNullable<PageGlobals['_wsDebug']>
const RETRY = { 'retry-delay': 100, 'max-retry-delay': 1000 }

describe.skipIf(!checkChromium('the script-tag suite'))('script tag in headless Chromium', { timeout: TIMEOUT }, () => {
  let browser: Browser
  let pages: PageServer
  let contexts: BrowserContext[] = []
  let servers: EventServer[] = []

  const startServer = async (options: ConstructorParameters<typeof EventServer>[0] = {}, port?: number) => {
    const server = await new EventServer(options).start(port)
    servers.push(server)
    return server
  }
  const stopServer = async (server: EventServer) => {
    servers = servers.filter((s) => s !== server)
    await server.stop()
  }
  const bridgePage = (data: Record<string, string | number>) => pages.add(html(scriptTag(data)))

  beforeAll(async () => {
    if (!scriptBuilt()) throw new Error('[test/browser] ' + SCRIPT_FILE + ' is missing: run npm run build first')
    pages = await new PageServer().start()
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  })

  afterEach(async () => {
    // Pages first, so nothing reconnects to a server being stopped.
    for (const context of contexts) await context.close().catch(() => {})
    contexts = []
    for (const server of servers) await server.stop().catch(() => {})
    servers = []
  })

  afterAll(async () => {
    if (browser) await browser.close()
    if (pages) await pages.stop()
  })

  it('connects from the data-* attributes and reports connected in the socket, getStatus() and sessionStorage', async () => {
    const server = await startServer()
    const { page, errors } = await openPage(browser, bridgePage({ url: server.url + '/ws', room: 'lobby' }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')

    expect(await page.evaluate(() => ((window as unknown as PageGlobals)._wsDebug as Debug).ws?.readyState)).toBe(1)
    const status = await bridgeStatus(page)
    expect(status.state).toBe('connected')
    expect(status.room).toBe('lobby')
    expect(status.transport).toBe('websocket')
    const stored = await storedStatus(page, 'lobby')
    expect(stored).not.toBeNull()
    expect(stored!.state).toBe('connected')
    expect(stored!.room).toBe('lobby')
    expect(server.connections[0].url.pathname).toBe('/ws')
    expect(server.connections[0].url.searchParams.get('since')).toBeNull()
    expect(errors).toEqual([])
  })

  it('keeps exactly the last 100 of 150 messages, in order, in sessionStorage and getMessages()', async () => {
    const server = await startServer()
    const { page } = await openPage(browser, bridgePage({ url: server.url, room: 'flood' }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')

    for (let i = 1; i <= 150; i++) server.emit({ text: 'message ' + i })
    await waitStored(page, 'flood', 'e150')

    const expected = range(51, 150)
    const stored = await storedMessages(page, 'flood')
    expect(ids(stored)).toEqual(expected)
    expect(stored[0]).toEqual({ id: 'e51', type: 'message', text: 'message 51' })
    expect(await page.evaluate(() => ((window as unknown as PageGlobals)._wsDebug as Debug).getMessages().map((m) => m.id))).toEqual(expected)
    const counters = (await bridgeStatus(page)).counters
    expect(counters).toMatchObject({ received: 150, stored: 150, duplicates: 0, invalid: 0 })
  })

  it('drops a message whose id was already seen: stored once, counted as a duplicate, delivered to listeners once', async () => {
    const server = await startServer()
    const { page } = await openPage(browser, bridgePage({ url: server.url, room: 'dups' }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    await page.evaluate(() => {
      const seen: unknown[] = ((window as unknown as PageGlobals).__seen = [])
      ;((window as unknown as PageGlobals).WsBridge.bridge as Bridge).on('message', (message) => seen.push(message.id))
    })

    const frame = JSON.stringify({ id: 'dup-1', type: 'message', text: 'once' })
    server.broadcast(frame)
    server.broadcast(frame)
    // A later message on the same socket: once it is stored, both copies have been handled.
    const marker = server.emit({ text: 'after' })
    await waitStored(page, 'dups', marker.id)

    expect(ids(await storedMessages(page, 'dups'))).toEqual(['dup-1', marker.id])
    expect(await page.evaluate(() => (window as unknown as PageGlobals).__seen)).toEqual(['dup-1', marker.id])
    const counters = (await bridgeStatus(page)).counters
    expect(counters.duplicates).toBeGreaterThanOrEqual(1)
    expect(counters).toMatchObject({ received: 3, stored: 2, duplicates: 1 })
    expect((await storedStatus(page, 'dups'))!.counters.duplicates).toBeGreaterThanOrEqual(1)
  })

  it('survives garbage frames (bad JSON, an array, a number, binary): none stored, all counted invalid, later messages still stored', async () => {
    const server = await startServer()
    const { page, errors } = await openPage(browser, bridgePage({ url: server.url, room: 'garbage' }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')

    server.broadcast('{"id":"broken", "type":')
    server.broadcast('[{"id":"in-array","type":"message"}]')
    server.broadcast('42')
    server.broadcast(Buffer.from(JSON.stringify({ id: 'binary', type: 'message' })))
    const valid = server.emit({ text: 'still alive' })
    await waitStored(page, 'garbage', valid.id)

    expect(await storedMessages(page, 'garbage')).toEqual([valid])
    expect(await bridgeMessageIds(page)).toEqual([valid.id])
    const status = await bridgeStatus(page)
    expect(status.state).toBe('connected')
    expect(status.counters).toMatchObject({ received: 5, stored: 1, invalid: 4 })
    expect(server.connections.length).toBe(1)
    expect(errors).toEqual([])
  })

  it('keeps history and dedup across a reload, resuming with since=<last id>', async () => {
    const server = await startServer()
    const { page, errors } = await openPage(browser, bridgePage({ url: server.url, room: 'reload' }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    for (let i = 0; i < 5; i++) server.emit({ text: 'before reload' })
    await waitStored(page, 'reload', 'e5')
    expect(server.connections[0].url.searchParams.get('since')).toBeNull()

    await page.reload()
    await waitConnected(page)
    await serverUntil(server, () => server.connections.length === 2 && server.open.length === 1, 'the reloaded page to connect')
    expect(await bridgeMessageIds(page)).toEqual(range(1, 5))
    expect(server.connections[1].url.searchParams.get('since')).toBe('e5')

    // The server re-sends ids the page already holds: none is stored again.
    server.broadcast(JSON.stringify(server.log[2]))
    server.broadcast(JSON.stringify(server.log[4]))
    const next = server.emit({ text: 'after reload' })
    await waitStored(page, 'reload', next.id)
    expect(ids(await storedMessages(page, 'reload'))).toEqual(range(1, 6))
    expect(await bridgeMessageIds(page)).toEqual(range(1, 6))
    // Counters run on across the reload.
    expect((await bridgeStatus(page)).counters).toMatchObject({ stored: 6, duplicates: 2 })
    expect(errors).toEqual([])
  })

  it('reconnects on its own after the server restarts on the same port, replaying what it missed', async () => {
    const first = await startServer()
    const port = first.port
    const { page } = await openPage(browser, bridgePage({ url: first.url, room: 'restart', ...RETRY }), contexts)
    await waitConnected(page)
    await serverUntil(first, () => first.open.length === 1, 'one open connection')
    await page.evaluate(() => {
      const states: string[] = ((window as unknown as PageGlobals).__states = [])
      ;((window as unknown as PageGlobals).WsBridge.bridge as Bridge).on('status', (status, previous) => {
        if (status.state !== previous.state) states.push(status.state)
      })
    })
    first.emit({ text: 'before restart' })
    await waitStored(page, 'restart', 'e1')

    await stopServer(first)
    await page.waitForFunction(() => ((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getStatus().state !== 'connected')
    // The new process has the old log plus one event the page missed while it was down.
    const second = new EventServer()
    second.log.push(...first.log, { id: 'e2', type: 'message', text: 'while down' })
    await second.start(port)
    servers.push(second)

    await waitConnected(page)
    await serverUntil(second, () => second.open.length === 1, 'the page to reconnect to the restarted server')
    expect(second.connections[0].url.searchParams.get('since')).toBe('e1')
    await waitStored(page, 'restart', 'e2')
    second.emit({ id: 'e3', text: 'after restart' })
    await waitStored(page, 'restart', 'e3')

    expect(ids(await storedMessages(page, 'restart'))).toEqual(range(1, 3))
    expect((await bridgeStatus(page)).state).toBe('connected')
    const states = (await page.evaluate(() => (window as unknown as PageGlobals).__states)) as string[]
    expect(states[0]).not.toBe('connected')
    expect(states[states.length - 1]).toBe('connected')
  })

  it('falls back to polling ?since=<last id> while the socket is down, then back to the socket, and the polls stop', async () => {
    const interval = 200
    const server = await startServer()
    const room = 'fallback'
    const { page } = await openPage(
      browser,
      bridgePage({ url: server.url, room, 'fallback-url': server.httpUrl + '/events', 'fallback-interval': interval, ...RETRY }),
      contexts,
    )
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    expect(server.polls).toEqual([])
    server.emit({ text: 'over the socket' })
    await waitStored(page, room, 'e1')

    // The socket goes down; HTTP stays up.
    server.options.refuseUpgrades = true
    server.dropAll()
    const since = (id: string) => (url: string) => new URL(url, server.httpUrl).searchParams.get('since') === id
    await serverUntil(server, () => server.polls.some(since('e1')), 'a poll with since=e1')
    await page.waitForFunction(() => ((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getStatus().transport === 'polling')
    expect(server.open.length).toBe(0)

    server.emit({ text: 'polled 1' })
    server.emit({ text: 'polled 2' })
    await waitStored(page, room, 'e3')
    await serverUntil(server, () => server.polls.some(since('e3')), 'a poll with since=e3')
    expect(ids(await storedMessages(page, room))).toEqual(range(1, 3))
    expect((await storedStatus(page, room))!.transport).toBe('polling')
    await serverUntil(server, () => server.upgrades.length > 1, 'the page to keep retrying the socket meanwhile')

    // The socket is back.
    server.options.refuseUpgrades = false
    await page.waitForFunction(() => {
      const status = ((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getStatus()
      return status.state === 'connected' && status.transport === 'websocket'
    })
    await serverUntil(server, () => server.open.length === 1, 'the socket to reconnect')
    expect(server.open[0].url.searchParams.get('since')).toBe('e3')
    const first = server.emit({ text: 'socket again' })
    await waitStored(page, room, first.id)

    // Messages keep flowing through the socket for well over two fallback
    // intervals; a poller still running would have polled meanwhile.
    const polls = server.polls.length
    const from = Date.now()
    let sent = 0
    while (sent < 3 || Date.now() - from < 3 * interval) {
      const message = server.emit({ text: 'live ' + sent })
      await waitStored(page, room, message.id)
      sent++
    }
    expect(server.polls.length).toBe(polls)
    expect(server.open.length).toBe(1)
    const status = await bridgeStatus(page)
    expect(status.transport).toBe('websocket')
    expect((await storedStatus(page, room))!.transport).toBe('websocket')
    expect(ids(await storedMessages(page, room))).toEqual(range(1, 4 + sent))
  })

  it('exposes window._wsDebug: getStatus, getMessages, reconnect, send and bridges[room]', async () => {
    const server = await startServer()
    const { page } = await openPage(browser, bridgePage({ url: server.url, room: 'debug', ...RETRY }), contexts)
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    server.emit({ text: 'one' })
    server.emit({ text: 'two' })
    await page.waitForFunction(() => ((window as unknown as PageGlobals)._wsDebug as Debug).getMessages().length === 2)

    const seen = await page.evaluate(() => {
      const debug = (window as unknown as PageGlobals)._wsDebug as Debug
      const status = debug.getStatus()
      return {
        state: status && status.state,
        room: status && status.room,
        messages: debug.getMessages(),
        rooms: Object.keys(debug.bridges),
        // The entry is the bridge's console face (its ws a view with a masked url), not the bridge itself.
        same: debug.bridges.debug.room === 'debug' && debug.bridges.debug.getStatus().room === ((window as unknown as PageGlobals).WsBridge.bridge as { getStatus(): { room: string } }).getStatus().room,
        bridgeState: debug.bridges.debug.getStatus().state,
      }
    })
    expect(seen).toEqual({
      state: 'connected',
      room: 'debug',
      messages: [
        { id: 'e1', type: 'message', text: 'one' },
        { id: 'e2', type: 'message', text: 'two' },
      ],
      rooms: ['debug'],
      same: true,
      bridgeState: 'connected',
    })

    await page.evaluate(() => ((window as unknown as PageGlobals)._wsDebug as Debug).reconnect())
    await serverUntil(server, () => server.connections.length === 2 && server.open.length === 1, 'a new connection after reconnect()')
    expect(server.open[0]).toBe(server.connections[1])
    expect(server.connections[1].url.searchParams.get('since')).toBe('e2')
    await waitConnected(page)

    const result = await page.evaluate(() => ((window as unknown as PageGlobals)._wsDebug as Debug).send({ type: 'message', text: 'x' }))
    expect(result).toBe('sent')
    const connection = server.connections[1]
    await serverUntil(server, () => connection.received.length > 0, 'the sent message to reach the server')
    expect(connection.received.map((text) => JSON.parse(text))).toContainEqual({ type: 'message', text: 'x' })
  })

  it('reports a bad attribute with one console error naming it and opens no socket; without data-url it only defines WsBridge', async () => {
    const server = await startServer()
    const bad = await openPage(browser, bridgePage({ url: server.url, room: 'bad', 'max-messages': 'lots' }), contexts)
    const quiet = await openPage(browser, pages.add(html(scriptTag({ room: 'quiet' }))), contexts)
    // A barrier: a good page on the same server connects; by then a socket of
    // the bad page would long have reached the server too.
    const good = await openPage(browser, bridgePage({ url: server.url + '/good', room: 'good' }), contexts)
    await waitConnected(good.page)
    await serverUntil(server, () => server.open.length === 1, 'the good page to connect')

    const errors = bad.console.filter((m) => m.type === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].text).toContain('data-max-messages')
    expect(errors[0].text).toContain('lots')
    expect(bad.errors).toEqual([])
    expect(bad.sockets).toEqual([])
    expect(server.upgrades).toEqual(['/good'])

    const globals = (page: typeof bad.page) =>
      page.evaluate(() => ({
        WsBridge: typeof (window as unknown as PageGlobals).WsBridge,
        keys: Object.keys((window as unknown as PageGlobals).WsBridge).sort(),
        bridge: (window as unknown as PageGlobals).WsBridge.bridge,
        connect: typeof (window as unknown as PageGlobals).WsBridge.connect,
        debug: typeof (window as unknown as PageGlobals)._wsDebug,
        storage: sessionStorage.length,
      }))
    const expected = {
      WsBridge: 'object',
      keys: ['DEFAULTS', 'bridge', 'connect', 'memoryStorage', 'redactUrl'],
      bridge: null,
      connect: 'function',
      debug: 'undefined',
      storage: 0,
    }
    expect(await globals(bad.page)).toEqual(expected)
    expect(await globals(quiet.page)).toEqual(expected)
    expect(quiet.console).toEqual([])
    expect(quiet.errors).toEqual([])
    expect(quiet.sockets).toEqual([])
  })

  // Only the library's own output is checked: when a handshake FAILS, Chromium
  // itself logs "WebSocket connection to 'ws://…?token=s3cret' failed: …" to the
  // console, which no script can prevent, so this test keeps every attempt successful.
  it('never shows a token from the URL query in sessionStorage, getStatus() or the console', async () => {
    const server = await startServer()
    const room = 'secret'
    const { page, console: output, errors } = await openPage(
      browser,
      bridgePage({ url: server.url + '/ws/r/p?token=s3cret', room, ...RETRY }),
      contexts,
    )
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    server.emit({ text: 'hello' })
    await waitStored(page, room, 'e1')
    // A dropped connection and a resume: the dialled URL now carries since= too.
    server.dropAll()
    await serverUntil(server, () => server.connections.length === 2 && server.open.length === 1, 'the page to reconnect')
    await waitConnected(page)
    server.emit({ text: 'again' })
    await waitStored(page, room, 'e2')
    // A listener that logs every status, as an app might.
    await page.evaluate(() => console.log('status', JSON.stringify(((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getStatus())))

    // The token really is sent to the server…
    for (const connection of server.connections) {
      expect(connection.url.pathname).toBe('/ws/r/p')
      expect(connection.url.searchParams.get('token')).toBe('s3cret')
    }
    expect(server.connections[1].url.searchParams.get('since')).toBe('e1')
    // …and shown nowhere.
    const status = await bridgeStatus(page)
    expect(status.url).toContain('token=***')
    expect(status.url).toContain('since=e1')
    expect(JSON.stringify(status)).not.toContain('s3cret')
    const debugStatus = await page.evaluate(() => JSON.stringify(((window as unknown as PageGlobals)._wsDebug as Debug).getStatus()))
    expect(debugStatus).not.toContain('s3cret')
    const storage = await allSessionStorage(page)
    expect(Object.keys(storage).sort()).toEqual(['ws_messages_secret', 'ws_status_secret'])
    expect(JSON.stringify(storage)).not.toContain('s3cret')
    expect(output.some((m) => m.text.includes('token=***'))).toBe(true)
    expect(output.filter((m) => m.text.includes('s3cret'))).toEqual([])
    expect(errors).toEqual([])
  })

  it('renders its status on a page (screenshot in test-results/script-tag.png)', async () => {
    const server = await startServer()
    const markup = html(
      '<h1>ws-bridge</h1>\n<pre id="status">loading…</pre>\n<ol id="messages"></ol>\n' +
        scriptTag({ url: server.url + '/ws?token=hidden', room: 'shot' }) +
        '\n<script>\n' +
        // Screenshot page only: draws the status and the kept messages.
        'var bridge = WsBridge.bridge\n' +
        'function render() {\n' +
        '  var s = bridge.getStatus()\n' +
        "  document.getElementById('status').textContent = ['state: ' + s.state, 'transport: ' + s.transport, 'url: ' + s.url, 'stored: ' + s.counters.stored, 'duplicates: ' + s.counters.duplicates].join('\\n')\n" +
        "  var list = document.getElementById('messages')\n" +
        "  list.textContent = ''\n" +
        '  bridge.getMessages().forEach(function (m) {\n' +
        "    var item = document.createElement('li')\n" +
        "    item.textContent = m.id + ': ' + m.text\n" +
        '    list.appendChild(item)\n' +
        '  })\n' +
        '}\n' +
        "bridge.on('status', render)\n" +
        "bridge.on('message', render)\n" +
        'render()\n' +
        '</script>\n' +
        '<style>body{font:16px sans-serif;margin:24px} pre{background:#f3f3f3;padding:12px}</style>',
      'ws-bridge status',
    )
    const { page, errors } = await openPage(browser, pages.add(markup), contexts)
    await page.setViewportSize({ width: 640, height: 420 })
    await waitConnected(page)
    await serverUntil(server, () => server.open.length === 1, 'one open connection')
    server.emit({ text: 'hello from the server' })
    server.emit({ text: 'second message' })
    server.broadcast(JSON.stringify(server.log[0]))
    server.emit({ text: 'third message' })
    await page.waitForFunction(() => {
      const text = (document.getElementById('status') as HTMLElement).textContent || ''
      return text.includes('state: connected') && text.includes('stored: 3') && document.querySelectorAll('#messages li').length === 3
    })
    expect(await page.textContent('#status')).toContain('token=***')

    const dir = join(ROOT, 'test-results')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'script-tag.png')
    await page.screenshot({ path: file })
    // A PNG of the page's viewport (IHDR width and height), not merely some bytes.
    const png = readFileSync(file)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 420])
    expect(errors).toEqual([])
  })
})

