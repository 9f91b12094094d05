import { existsSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Bridge, Message, Status, WsDebug } from '../../src/index'
import type { EventServer } from '../helpers/ws-server'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Debian's chromium, or CHROMIUM_PATH. */
export const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** For describe.skipIf: skips without Chromium, except in CI, where a missing browser is a broken environment. */
export function checkChromium(suite: string): boolean {
  if (existsSync(executablePath)) return true
  const hint = 'install it (apt-get install -y chromium) or point CHROMIUM_PATH at a Chromium binary'
  if (process.env.CI) throw new Error('[browser tests] CI is set but there is no Chromium at ' + executablePath + ': ' + hint)
  console.warn('[browser tests] skipping ' + suite + ': no Chromium at ' + executablePath + '; ' + hint)
  return false
}

/** What the script tag puts on the page's window (for casts inside page.evaluate). */
export type PageGlobals = {
  WsBridge: {
    connect: unknown
    memoryStorage: unknown
    redactUrl: unknown
    DEFAULTS: Record<string, unknown>
    bridge: Bridge | null
  }
  _wsDebug?: WsDebug
  [name: string]: unknown
}

export interface OpenedPage {
  context: BrowserContext
  page: Page
  /** Every console message of the page, in order. */
  console: Array<{ type: string; text: string }>
  /** Uncaught exceptions (pageerror). */
  errors: Error[]
  /** URLs of the WebSockets the page opened, as Chromium reports them. */
  sockets: string[]
}

/** A fresh context and page (fresh sessionStorage) with console, pageerror and websocket recorders, at `url`. */
export async function openPage(browser: Browser, url: string, contexts: BrowserContext[]): Promise<OpenedPage> {
  const context = await browser.newContext()
  contexts.push(context)
  context.setDefaultTimeout(30000)
  const page = await context.newPage()
  const opened: OpenedPage = { context, page, console: [], errors: [], sockets: [] }
  page.on('console', (message) => opened.console.push({ type: message.type(), text: message.text() }))
  page.on('pageerror', (error) => opened.errors.push(error))
  page.on('websocket', (socket) => opened.sockets.push(socket.url()))
  await page.goto(url)
  return opened
}

/** Waits on a server condition, failing with `what` rather than hanging until the test timeout. */
export async function serverUntil(server: EventServer, check: () => boolean, what: string, limitMs = 30000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out waiting (server side) for ' + what)), limitMs)
  })
  try {
    await Promise.race([server.until(check), limit])
  } finally {
    clearTimeout(timer)
  }
}

export const waitConnected = (page: Page) =>
  page.waitForFunction(() => {
    const w = window as unknown as PageGlobals
    const bridge = w.WsBridge && w.WsBridge.bridge
    return !!bridge && bridge.getStatus().state === 'connected' && !!bridge.ws && bridge.ws.readyState === 1
  })

/** Waits until sessionStorage ws_messages_{room} (i.e. after a flush) holds a message with this id. */
export const waitStored = (page: Page, room: string, id: string) =>
  page.waitForFunction(
    ([room, id]) => {
      const list = JSON.parse(sessionStorage.getItem('ws_messages_' + room) || '[]') as Message[]
      return list.some((m) => m.id === id)
    },
    [room, id] as const,
  )

export const storedMessages = (page: Page, room: string) =>
  page.evaluate((room) => JSON.parse(sessionStorage.getItem('ws_messages_' + room) || '[]') as Message[], room)

export const storedStatus = (page: Page, room: string) =>
  page.evaluate((room) => JSON.parse(sessionStorage.getItem('ws_status_' + room) || 'null') as Status | null, room)

export const bridgeStatus = (page: Page) =>
  page.evaluate(() => ((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getStatus())

export const bridgeMessageIds = (page: Page) =>
  page.evaluate(() => ((window as unknown as PageGlobals).WsBridge.bridge as Bridge).getMessages().map((m) => m.id))

/** Every sessionStorage key and value of the page. */
export const allSessionStorage = (page: Page) =>
  page.evaluate(() => {
    const all: Record<string, string> = {}
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i) as string
      all[key] = sessionStorage.getItem(key) as string
    }
    return all
  })

export const ids = (messages: Message[]) => messages.map((m) => m.id)
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => 'e' + (from + i))
