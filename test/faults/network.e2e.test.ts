// Network faults (issue 4): the built script tag (dist/ws-bridge.min.js) in real
// headless Chromium, against the real example FastAPI server, through a TCP
// fault proxy (fault-proxy.ts) that resets, blackholes or delays the link.
// Events stream in all along (volleys posted to the server); each case checks
// every event against the server's own log: nothing lost, nothing delivered
// twice, in order. Each case prints one figure line ("[faults] …").
// No timed assertions: every wait is on a condition, and its limit only turns
// a hang into a readable failure. Times are printed, never asserted.
// Build first: npm run build. Python: node scripts/setup-python.mjs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, checkChromium, executablePath, waitConnected } from '../browser/browser'
import { PageServer, ROOT, SCRIPT_FILE, html, scriptBuilt, scriptTag } from '../browser/page-server'
import { EventServer } from '../helpers/ws-server'
import { type Proc, roomLog, startGameServer, until } from '../streamlit/processes'
import { FaultProxy, type Link } from './fault-proxy'
import { stopAll } from '../helpers/stop-all'

const PYTHON = join(ROOT, '.venv', 'bin', 'python')

const TIMEOUT = 120000
const PING = '{"type":"ping"}'
const PONG = '{"type":"pong"}'
// Short heartbeat so a blackhole is found fast; the timeout is below the
// interval, so exactly one ping can go out between the link going silent and
// the bridge declaring it dead.
const HEARTBEAT = { 'heartbeat-interval': 1000, 'heartbeat-timeout': 500 }
const RETRY = { 'retry-delay': 100, 'max-retry-delay': 1000, 'connect-timeout': 2000 }
// Far more than the log any case writes, in events and in bytes: the server's log is the ground truth for "lost".
const SERVER_ENV = { REPLAY_LOG_SIZE: '20000', RETENTION_BYTES: String(2 ** 30) }

/** What the page records: socket activity (init script) and the bridge's events (listeners). */
interface SocketEvent {
  socket: number
  kind: 'new' | 'in' | 'out' | 'close' | 'closed'
  text?: string
  code?: number | null
  at: number
}
interface Recorded {
  ids: Array<{ id: string; at: number }>
  states: Array<{ state: string; attempts: number; at: number }>
  errors: Array<{ kind: string; message: string; at: number }>
}
type FaultWindow = {
  __socketLog: SocketEvent[]
  __recorded: Recorded
  navigator: Navigator
  WsBridge: { bridge: import('../../src/index').Bridge | null }
}

// Runs before the script tag: every WebSocket the page makes (the bridge
// extends window.WebSocket when it starts) logs what it receives, sends and
// when it is told to close, in the page's own order of events.
const SOCKET_RECORDER = `(() => {
  const Native = window.WebSocket
  const log = (window.__socketLog = [])
  const ids = new WeakMap()
  let count = 0
  class Recording extends Native {
    constructor(url, protocols) {
      super(url, protocols)
      const socket = ++count
      ids.set(this, socket)
      log.push({ socket, kind: 'new', at: Date.now() })
      // Short text frames (pongs) are kept, to tell a server that answered pings on this socket.
      this.addEventListener('message', (e) =>
        log.push({ socket, kind: 'in', text: typeof e.data === 'string' && e.data.length <= 32 ? e.data : undefined, at: Date.now() }))
      this.addEventListener('close', (e) => log.push({ socket, kind: 'closed', code: e.code, at: Date.now() }))
    }
    send(data) {
      log.push({ socket: ids.get(this), kind: 'out', text: typeof data === 'string' ? data : '<binary>', at: Date.now() })
      return super.send(data)
    }
    close(code, reason) {
      log.push({ socket: ids.get(this), kind: 'close', code: code === undefined ? null : code, at: Date.now() })
      return super.close(code, reason)
    }
  }
  window.WebSocket = Recording
})()`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits for a page-side condition, failing with `what` instead of a bare timeout. */
async function pageUntil<A>(page: Page, check: (arg: A) => boolean, arg: A, what: string, limitMs = 30000): Promise<void> {
  try {
    // (playwright types the argument as its serialized form; ours are plain values)
    await page.waitForFunction(check as (arg: unknown) => boolean, arg as unknown, { timeout: limitMs, polling: 20 })
  } catch (err) {
    throw new Error('timed out waiting (page side) for ' + what + ': ' + String(err).split('\n')[0])
  }
}

const recorded = (page: Page) => page.evaluate(() => (window as unknown as FaultWindow).__recorded)
const socketLog = (page: Page) => page.evaluate(() => (window as unknown as FaultWindow).__socketLog)
const pageStatus = (page: Page) =>
  page.evaluate(() => {
    const bridge = (window as unknown as FaultWindow).WsBridge.bridge
    if (!bridge) throw new Error('no bridge on the page')
    return bridge.getStatus()
  })

/** Installs the listeners that record every delivered id, state change and error, with Date.now(). */
const listen = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as FaultWindow
    const bridge = w.WsBridge.bridge
    if (!bridge) throw new Error('no bridge on the page')
    const record: Recorded = (w.__recorded = { ids: [], states: [], errors: [] })
    bridge.on('message', (message) => record.ids.push({ id: String(message.id), at: Date.now() }))
    bridge.on('status', (status, previous) => {
      if (status.state !== previous.state) record.states.push({ state: status.state, attempts: status.attempts, at: Date.now() })
    })
    bridge.on('error', (error) => record.errors.push({ kind: error.kind, message: error.message, at: Date.now() }))
  })

/** The page's newest WebSocket (numbered by the recorder). */
const currentSocket = async (page: Page) => ((await socketLog(page)).filter((e) => e.kind === 'new').pop() as SocketEvent).socket

/**
 * Waits for a pong on the current socket. The bridge enforces the heartbeat
 * timeout only once the server has answered a ping (so a plain server is never
 * reconnected in a loop): a link that goes silent before that is not a case.
 */
const waitPong = async (page: Page) =>
  pageUntil(
    page,
    (socket) => (window as unknown as FaultWindow).__socketLog.some((e) => e.socket === socket && e.kind === 'in' && e.text === '{"type":"pong"}'),
    await currentSocket(page),
    'a pong on the current link',
  )

/** Waits until the page has been delivered `id`. */
const waitDelivered = (page: Page, id: string, what: string) =>
  pageUntil(page, (id) => (window as unknown as FaultWindow).__recorded.ids.some((entry) => entry.id === id), id, what)

/** The first time the page entered `state` at or after `since` (Date.now() of the test process: same clock). */
async function stateAt(page: Page, state: string, since: number, what: string): Promise<number> {
  await pageUntil(
    page,
    ([state, since]) => (window as unknown as FaultWindow).__recorded.states.some((s) => s.state === state && s.at >= since),
    [state, since] as const,
    what,
  )
  const states = (await recorded(page)).states
  return (states.find((s) => s.state === state && s.at >= since) as { at: number }).at
}

/** Posts volleys of tick events to a room, one after another, until stopped; a failed post is tried again. */
class Injector {
  readonly acked: string[] = []
  readonly volleys: Array<{ startedAt: number; ids: string[] }> = []
  failures = 0
  private running = true
  private loop: Promise<void>

  constructor(private base: string, private room: string, private size = 5, private pause = 40, private limit = Infinity) {
    this.loop = this.run()
  }

  private async run() {
    while (this.running && this.acked.length < this.limit) {
      const startedAt = Date.now()
      try {
        const count = Math.min(this.size, this.limit - this.acked.length)
        const response = await fetch(this.base + '/rooms/' + this.room + '/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'tick', count }),
        })
        if (!response.ok) throw new Error('HTTP ' + response.status)
        const { ids } = (await response.json()) as { ids: string[] }
        this.acked.push(...ids)
        this.volleys.push({ startedAt, ids })
      } catch {
        // The server is down (restart case) or the request died with it: try again.
        this.failures++
      }
      await sleep(this.pause)
    }
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }
}

interface Delivery {
  events: number
  lost: number
  duplicated: number
  inOrder: boolean
  /** Replayed copies the bridge dropped (status.counters.duplicates): they reached the page, not the listeners. */
  droppedCopies: number
}

/**
 * Posts a marker, waits for it on the page, then compares what the page's
 * listener got with the server's log from the first id the page got up to
 * the marker: every event exactly once, in the server's order.
 */
async function checkDelivery(page: Page, base: string, room: string, injector: Injector): Promise<Delivery> {
  const post = await fetch(base + '/rooms/' + room + '/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'marker' }),
  })
  const marker = ((await post.json()) as { ids: string[] }).ids[0]
  await waitDelivered(page, marker, 'the marker event ' + marker)
  const log = await roomLog(base, room)
  const all = (await recorded(page)).ids.map((entry) => entry.id)
  const received = all.slice(0, all.indexOf(marker) + 1)
  const first = log.indexOf(received[0])
  expect(first, 'the first event the page got is in the server log').toBeGreaterThanOrEqual(0)
  const expected = log.slice(first, log.indexOf(marker) + 1)
  const got = new Set(received)
  const lost = expected.filter((id) => !got.has(id)).length + injector.acked.filter((id) => !got.has(id) && !expected.includes(id)).length
  const unique = received.filter((id, i) => received.indexOf(id) === i)
  return {
    events: expected.length,
    lost,
    duplicated: received.length - got.size,
    inOrder: JSON.stringify(unique) === JSON.stringify(expected),
    droppedCopies: (await pageStatus(page)).counters.duplicates,
  }
}

function assertDelivery(delivery: Delivery, injector: Injector, received: Set<string>) {
  expect(injector.acked.filter((id) => !received.has(id)), 'every acknowledged event reached the page').toEqual([])
  expect(delivery.lost, 'events lost').toBe(0)
  expect(delivery.duplicated, 'events delivered twice').toBe(0)
  expect(delivery.inOrder, 'events in the server order').toBe(true)
}

const receivedIds = async (page: Page) => new Set((await recorded(page)).ids.map((entry) => entry.id))

/** Waits until the page was delivered `more` events beyond the `after` it had. */
async function streamOn(page: Page, after: number, more: number, what: string) {
  await pageUntil(page, (n) => (window as unknown as FaultWindow).__recorded.ids.length >= n, after + more, what)
}

const figure = (text: string) => console.log('[faults] ' + text)
const median = (values: number[]) => {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN
}

describe.skipIf(!checkChromium('the network fault suite'))('network faults between headless Chromium and the example server', { timeout: TIMEOUT }, () => {
  let browser: Browser
  let pages: PageServer
  let server: Proc & { url: string }
  let contexts: BrowserContext[] = []
  let proxies: FaultProxy[] = []
  let injectors: Injector[] = []
  let cleanups: Array<() => Promise<void> | void> = []

  /** Streams volleys until stopped; afterEach stops it too, so a failed case does not post on for the rest of the run. */
  const track = (injector: Injector) => {
    injectors.push(injector)
    return injector
  }

  const startProxy = async (port: number) => {
    const proxy = await new FaultProxy({ host: '127.0.0.1', port }).start()
    proxies.push(proxy)
    return proxy
  }

  /** A fresh context (fresh sessionStorage) with the socket recorder, on a page whose script tag carries `data`. */
  async function openBridge(data: Record<string, string | number>): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> {
    const context = await browser.newContext()
    contexts.push(context)
    context.setDefaultTimeout(30000)
    await context.addInitScript({ content: SOCKET_RECORDER })
    const page = await context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    await page.goto(pages.add(html(scriptTag(data))))
    await waitConnected(page)
    await listen(page)
    return { context, page, errors }
  }

  const roomPage = (proxy: FaultProxy, room: string, extra: Record<string, string | number> = {}) =>
    openBridge({ url: proxy.url + '/ws/' + room + '/ann', room, ...HEARTBEAT, ...RETRY, ...extra })

  beforeAll(async () => {
    if (!scriptBuilt()) throw new Error('[test/faults] ' + SCRIPT_FILE + ' is missing: run npm run build first')
    if (!existsSync(PYTHON)) throw new Error('[test/faults] ' + PYTHON + ' is missing: run node scripts/setup-python.mjs first')
    pages = await new PageServer().start()
    server = await startGameServer(PYTHON, 0, { env: SERVER_ENV })
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  })

  afterEach(async () => {
    for (const injector of injectors) await injector.stop()
    injectors = []
    // Pages first, so nothing reconnects to a server being stopped.
    for (const context of contexts) await context.close().catch(() => {})
    contexts = []
    for (const proxy of proxies) await proxy.stop().catch(() => {})
    proxies = []
    for (const cleanup of cleanups) await cleanup()
    cleanups = []
  })

  afterAll(() => stopAll(browser && (() => browser.close()), pages && (() => pages.stop()), server && (() => server.stop())))

  it('survives reset connections (RST) with nothing lost, nothing delivered twice, in order', async () => {
    const proxy = await startProxy(server.port)
    const room = 'reset'
    const { page, errors } = await roomPage(proxy, room)
    const injector = track(new Injector(server.url, room))
    await streamOn(page, 0, 25, '25 events before the fault')

    const resetAt = Date.now()
    const before = proxy.links.length
    proxy.reset()
    // The bridge retries; each attempt is reset on arrival until restore().
    await until(() => proxy.links.slice(before).filter((l) => l.ended === 'reset').length >= 2, 'two attempts reset by the proxy')
    const detectedAt = await stateAt(page, 'disconnected', resetAt, 'the bridge to notice the reset')
    const attemptsDuringFault = proxy.links.length - before
    const restoreAt = Date.now()
    proxy.restore()
    const connectedAt = await stateAt(page, 'connected', restoreAt, 'the bridge to reconnect after restore')
    const count = (await recorded(page)).ids.length
    await streamOn(page, count, 25, '25 events after the reconnect')
    await injector.stop()

    const delivery = await checkDelivery(page, server.url, room, injector)
    assertDelivery(delivery, injector, await receivedIds(page))
    const resumedWith = new URL((await pageStatus(page)).url || '', 'ws://x').searchParams.get('since')
    expect(resumedWith, 'the reconnect resumed with since=<last id>').not.toBeNull()
    expect(errors).toEqual([])
    figure(
      `reset: detected in ${detectedAt - resetAt} ms, recovered ${connectedAt - restoreAt} ms after restore ` +
        `(${attemptsDuringFault} attempts reset meanwhile), ${delivery.events} events, lost ${delivery.lost}, ` +
        `duplicated ${delivery.duplicated}, in order ${delivery.inOrder} (${delivery.droppedCopies} replayed copies dropped)`,
    )
  })

  it('declares a blackholed (half-open) link dead after exactly one unanswered ping, and recovers with nothing lost', async () => {
    const proxy = await startProxy(server.port)
    const room = 'blackhole'
    const { page, errors } = await roomPage(proxy, room)
    const injector = track(new Injector(server.url, room))
    await streamOn(page, 0, 25, '25 events before the fault')

    /**
     * The link is blackholed (now, or by the proxy right after the handshake);
     * waits until the bridge gives up on it and tries again, then restores.
     */
    const blackholeRound = async (start: () => Promise<{ at: number; link: Link }>, armNext: boolean) => {
      const socket = await currentSocket(page)
      const { at: blackholeAt, link } = await start()
      await pageUntil(
        page,
        (since) => (window as unknown as FaultWindow).__recorded.errors.some((e) => e.kind === 'heartbeat' && e.at >= since),
        blackholeAt,
        'the heartbeat to declare the link dead',
      )
      const dead = (await recorded(page)).errors.find((e) => e.kind === 'heartbeat' && e.at >= blackholeAt) as { at: number; message: string }
      // The bridge tries again at once; in a blackhole that attempt hangs too.
      await until(() => proxy.links.some((l) => l.openedAt >= dead.at), 'a new attempt after the link was declared dead')
      const restoreAt = Date.now()
      proxy.restore()
      if (armNext) proxy.blackholeAfterHandshake()
      const connectedAt = await stateAt(page, 'connected', restoreAt, 'the bridge to reconnect after restore')
      // From the page's side: on the socket the heartbeat gave up on, between the
      // last frame it received and close(4000), exactly one ping went out.
      const mine = (await socketLog(page)).filter((e) => e.socket === socket)
      const closeIndex = mine.findIndex((e) => e.kind === 'close')
      const lastIn = mine.slice(0, closeIndex).map((e) => e.kind).lastIndexOf('in')
      return {
        detected: dead.at - blackholeAt,
        recovered: connectedAt - restoreAt,
        message: dead.message,
        closeCode: closeIndex >= 0 ? mine[closeIndex].code : undefined,
        unanswered: mine.slice(lastIn + 1, closeIndex).filter((e) => e.kind === 'out' && e.text === PING).length,
        pongs: mine.filter((e) => e.kind === 'in' && e.text === PONG).length,
        swallowedBytes: link.swallowedBytes,
        swallowedFrames: FaultProxy.frames(link, 'down', 'swallowed').length,
      }
    }

    // 1. A link whose server has answered a ping on it.
    await waitPong(page)
    const first = await blackholeRound(async () => {
      const link = proxy.open[proxy.open.length - 1] as Link
      proxy.blackhole()
      return { at: Date.now(), link }
    }, true)
    // 2. The next link goes half-open right after its handshake, before any ping
    // was answered on it: the server answered pings before, so it is found too.
    const second = await blackholeRound(async () => {
      await until(() => proxy.autoBlackholed, 'the proxy to blackhole the next link after its handshake')
      return proxy.autoBlackholed as { at: number; link: Link }
    }, false)
    const count = (await recorded(page)).ids.length
    await streamOn(page, count, 25, '25 events after the reconnect')
    await injector.stop()

    for (const round of [first, second]) {
      expect(round.message).toBe('no answer to a ping for 500 ms; reconnecting')
      expect(round.closeCode, 'the bridge closed the dead socket with 4000').toBe(4000)
      expect(round.unanswered, 'pings sent after the last frame received, before giving up').toBe(1)
      // The proxy saw the link go half-open: what it swallowed never arrived.
      expect(round.swallowedBytes).toBeGreaterThan(0)
    }
    expect(first.pongs, 'pongs on the first link').toBeGreaterThan(0)
    expect(second.pongs, 'pongs on the second link').toBe(0)

    const delivery = await checkDelivery(page, server.url, room, injector)
    assertDelivery(delivery, injector, await receivedIds(page))
    expect(errors).toEqual([])
    const told = (r: typeof first) =>
      `detected in ${r.detected} ms (bound: interval 1000 + timeout 500 ms; ${r.unanswered} unanswered ping; ` +
      `${r.swallowedFrames} frames / ${r.swallowedBytes} bytes swallowed), recovered ${r.recovered} ms after restore`
    figure(
      `blackhole: on a link that had answered ${first.pongs} pings: ${told(first)}; ` +
        `again right after the next handshake (0 pongs on that link): ${told(second)}; ` +
        `${delivery.events} events, lost ${delivery.lost}, duplicated ${delivery.duplicated}, in order ${delivery.inOrder} ` +
        `(${delivery.droppedCopies} replayed copies dropped)`,
    )
  })

  it('rides out a delayed link on the same connection with nothing lost, nothing delivered twice, in order', async () => {
    const proxy = await startProxy(server.port)
    const room = 'delay'
    const delay = 200
    // A slow link is not a dead one: the timeout is well above the added round trip.
    const { page, errors } = await roomPage(proxy, room, { 'heartbeat-timeout': 3000 })
    const injector = track(new Injector(server.url, room))
    await streamOn(page, 0, 50, '50 events before the fault')

    const latencies = async (from: number, to: number) => {
      const at = new Map((await recorded(page)).ids.map((entry) => [entry.id, entry.at]))
      return injector.volleys
        .filter((v) => v.startedAt >= from && v.startedAt < to && at.has(v.ids[v.ids.length - 1]))
        .map((v) => (at.get(v.ids[v.ids.length - 1]) as number) - v.startedAt)
    }
    const delayAt = Date.now()
    proxy.delay(delay)
    const volleysBefore = injector.volleys.length
    await until(() => injector.volleys.length >= volleysBefore + 20, '20 volleys posted through the delayed link')
    const lastDelayed = injector.volleys[injector.volleys.length - 1].ids
    await waitDelivered(page, lastDelayed[lastDelayed.length - 1], 'the last volley sent during the delay')
    const restoreAt = Date.now()
    proxy.restore()
    const count = (await recorded(page)).ids.length
    await streamOn(page, count, 25, '25 events after restore')
    await injector.stop()

    const delivery = await checkDelivery(page, server.url, room, injector)
    assertDelivery(delivery, injector, await receivedIds(page))
    expect(proxy.links.length, 'connections through the proxy').toBe(1)
    expect((await socketLog(page)).filter((e) => e.kind === 'close')).toEqual([])
    expect((await recorded(page)).states, 'state changes after the first connect').toEqual([])
    expect(errors).toEqual([])
    const baseline = median(await latencies(0, delayAt))
    const delayed = median(await latencies(delayAt, restoreAt))
    figure(
      `delay ${delay} ms each way: volley latency median ${baseline} ms before, ${delayed} ms during; ` +
        `detection n/a (not a fault), reconnects 0 (1 connection), recovered n/a, ${delivery.events} events, ` +
        `lost ${delivery.lost}, duplicated ${delivery.duplicated}, in order ${delivery.inOrder}`,
    )
  })

  it('loses and repeats nothing of 1,000 events while the server restarts twice mid-stream (SIGTERM, then SIGKILL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsb-faults-'))
    let game = await startGameServer(PYTHON, 0, { eventLog: join(dir, 'events.jsonl'), env: SERVER_ENV })
    const port = game.port
    cleanups.push(async () => {
      await game.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    const proxy = await startProxy(port)
    const room = 'restart'
    const { page, errors } = await roomPage(proxy, room)
    const total = 1000
    const injector = track(new Injector(game.url, room, 10, 20, total))
    const restarts: string[] = []

    const restart = async (how: 'SIGTERM' | 'SIGKILL', whenAcked: number) => {
      await until(() => injector.acked.length >= whenAcked, whenAcked + ' events acknowledged', 60000)
      const stoppedAt = Date.now()
      if (how === 'SIGTERM') await game.stop()
      else {
        const exited = new Promise((resolve) => game.proc.once('exit', resolve))
        process.kill(-(game.proc.pid as number), 'SIGKILL')
        await exited
      }
      const detectedAt = await stateAt(page, 'disconnected', stoppedAt, 'the bridge to notice the ' + how)
      game = await startGameServer(PYTHON, port, { eventLog: join(dir, 'events.jsonl'), env: SERVER_ENV })
      const upAt = Date.now()
      const connectedAt = await stateAt(page, 'connected', stoppedAt, 'the bridge to reconnect after the ' + how + ' restart')
      restarts.push(
        `${how} at ${whenAcked}: detected in ${detectedAt - stoppedAt} ms, down ${upAt - stoppedAt} ms, ` +
          `reconnected ${connectedAt - upAt} ms after the server was up`,
      )
    }
    await restart('SIGTERM', 300)
    await restart('SIGKILL', 650)
    await until(() => injector.acked.length >= total, total + ' events acknowledged', 60000)
    await injector.stop()

    const delivery = await checkDelivery(page, game.url, room, injector)
    assertDelivery(delivery, injector, await receivedIds(page))
    expect(injector.acked.length).toBe(total)
    expect(errors).toEqual([])
    figure(
      `server restart: ${restarts.join('; ')}; ${total} events posted (${injector.failures} posts refused while down), ` +
        `${delivery.events} events in all, lost ${delivery.lost}, duplicated ${delivery.duplicated}, in order ${delivery.inOrder} ` +
        `(${delivery.droppedCopies} replayed copies dropped)`,
    )
  })

  it('spends no attempts while the browser is offline, and reconnects as soon as it is back online', async () => {
    const proxy = await startProxy(server.port)
    const room = 'offline'
    const { context, page, errors } = await roomPage(proxy, room)
    const injector = track(new Injector(server.url, room))
    await streamOn(page, 0, 25, '25 events before going offline')
    await waitPong(page)

    const offlineAt = Date.now()
    await context.setOffline(true)
    // Chromium holds the socket's frames while offline: the heartbeat finds it dead.
    const downAt = await stateAt(page, 'disconnected', offlineAt, 'the bridge to stop calling the link connected')
    const links = proxy.links.length
    const attempts = (await pageStatus(page)).attempts
    // Long enough for five attempts at retry-delay 100 → 1000 ms had the bridge tried: 0.1+0.2+0.4+0.8+1 s.
    const offlineWindow = 3000
    await pageUntil(page, (end) => Date.now() >= end, Date.now() + offlineWindow, 'the offline window to pass', offlineWindow + 30000)
    const status = await pageStatus(page)
    expect(await page.evaluate(() => navigator.onLine)).toBe(false)
    expect(proxy.links.length, 'connection attempts while offline').toBe(links)
    expect(status.attempts, 'status.attempts while offline').toBe(attempts)
    expect(status.state).not.toBe('connected')

    const onlineAt = Date.now()
    await context.setOffline(false)
    const connectedAt = await stateAt(page, 'connected', onlineAt, 'the bridge to reconnect when back online')
    // Right away: the first attempt after online is the one that connected.
    expect(proxy.links.length, 'attempts after going online').toBe(links + 1)
    const count = (await recorded(page)).ids.length
    await streamOn(page, count, 25, '25 events after going online')
    await injector.stop()

    const delivery = await checkDelivery(page, server.url, room, injector)
    assertDelivery(delivery, injector, await receivedIds(page))
    expect(errors).toEqual([])
    figure(
      `offline/online: detected in ${downAt - offlineAt} ms (heartbeat), 0 attempts in ${offlineWindow} ms offline ` +
        `(status.attempts ${status.attempts}), reconnected ${connectedAt - onlineAt} ms after online, ${delivery.events} events, ` +
        `lost ${delivery.lost}, duplicated ${delivery.duplicated}, in order ${delivery.inOrder} (${delivery.droppedCopies} replayed copies dropped)`,
    )
  })

  it('never reconnects a plain server that ignores pings', async () => {
    const plain = await new EventServer({ answerPings: false }).start()
    cleanups.push(() => plain.stop())
    const interval = 200
    const { page, errors } = await openBridge({
      url: plain.url + '/ws',
      room: 'plain',
      'heartbeat-interval': interval,
      'heartbeat-timeout': interval,
      ...RETRY,
    })
    const pings = () => (plain.connections[0] ? plain.connections[0].received.filter((f) => f === PING).length : 0)
    const startedAt = Date.now()
    // Ten unanswered pings span five times interval + timeout.
    await until(() => pings() >= 10, 'ten pings at the plain server')
    const span = Date.now() - startedAt
    plain.emit({ text: 'still here' })
    await waitDelivered(page, 'e1', 'a message after the pings')

    expect(plain.upgrades.length, 'connections').toBe(1)
    expect(plain.open.length).toBe(1)
    expect((await pageStatus(page)).state).toBe('connected')
    expect((await recorded(page)).errors).toEqual([])
    expect((await socketLog(page)).filter((e) => e.kind === 'close')).toEqual([])
    expect(errors).toEqual([])
    figure(`plain server ignoring pings: ${pings()} pings unanswered over ${span} ms (interval = timeout = ${interval} ms), 1 connection, 0 reconnects`)
  })
})
