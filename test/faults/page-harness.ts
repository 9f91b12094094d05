// Shared by the storage, hostile-input and load fault suites: real headless
// Chromium on pages that load dist/ws-bridge.min.js, with every console line,
// page error and WebSocket recorded. Waits are on conditions; a limit only
// turns a hang into a readable failure.
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core'
import type { Bridge, ConnectOptions, Status } from '../../src/index'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { SCRIPT_FILE, html, scriptBuilt, scriptTag } from '../browser/page-server'

export async function launch(): Promise<Browser> {
  if (!scriptBuilt()) throw new Error('[faults] ' + SCRIPT_FILE + ' is missing: run npm run build first')
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/** What the fault pages put on window, for casts inside page.evaluate. */
export type FaultWindow = Window & {
  WsBridge: { connect: (options: ConnectOptions) => Bridge; bridge: Bridge | null; redactUrl: (url: string) => string }
  _wsDebug?: { getStatus(): Status | undefined; getMessages(): unknown[]; bridges: { [room: string]: Bridge } }
  /** Ids delivered to the page's 'message' listener, in order. */
  __got: unknown[]
  /** 'error' events of the bridge, as "kind: message". */
  __bridgeErrors: string[]
  /** Set by hostile payloads if they ever run. */
  __pwned?: unknown
  [name: string]: unknown
}

export interface Tab {
  context: BrowserContext
  page: Page
  console: Array<{ type: string; text: string }>
  errors: Error[]
  sockets: string[]
}

/** A fresh context (fresh sessionStorage) and page with recorders; `init` runs before any page script. */
export async function openTab(browser: Browser, url: string, contexts: BrowserContext[], init?: string): Promise<Tab> {
  const context = await browser.newContext()
  contexts.push(context)
  context.setDefaultTimeout(30000)
  if (init) await context.addInitScript(init)
  const page = await context.newPage()
  const tab: Tab = { context, page, console: [], errors: [], sockets: [] }
  page.on('console', (message) => tab.console.push({ type: message.type(), text: message.text() }))
  page.on('pageerror', (error) => tab.errors.push(error))
  page.on('websocket', (socket) => tab.sockets.push(socket.url()))
  await page.goto(url)
  return tab
}

/** The library's console warnings ([ws-bridge] …). */
export const bridgeWarnings = (tab: Tab) => tab.console.filter((m) => m.type === 'warning' && m.text.startsWith('[ws-bridge]'))

/**
 * A page: `before` (markup, e.g. a script that fills storage) runs first, then
 * the script tag with `data`, then a recorder of the started bridge's
 * 'message' (ids into __got) and 'error' events.
 */
export function bridgePageMarkup(data: Record<string, string | number>, before = ''): string {
  const recorder =
    '<script>\n' +
    'window.__got = []; window.__bridgeErrors = []\n' +
    'if (WsBridge.bridge) {\n' +
    "  WsBridge.bridge.on('message', function (m) { __got.push(m.id) })\n" +
    "  WsBridge.bridge.on('error', function (e) { __bridgeErrors.push(e.kind + ': ' + e.message) })\n" +
    '}\n' +
    '</script>'
  return html(before + '\n' + scriptTag(data) + '\n' + recorder)
}

/** page.waitForFunction with a message that says what did not happen. */
export async function pageUntil<A>(page: Page, check: (arg: A) => unknown, arg: A, what: string, timeout = 30000): Promise<void> {
  try {
    await page.waitForFunction(check as (arg: unknown) => unknown, arg as unknown, { timeout })
  } catch (err) {
    throw new Error('timed out waiting (in the page) for ' + what + ': ' + (err instanceof Error ? err.message.split('\n')[0] : String(err)))
  }
}

/** Waits for the page's started bridge to be connected with an open socket. */
export const untilConnected = (page: Page) =>
  pageUntil(
    page,
    () => {
      const bridge = (window as unknown as FaultWindow).WsBridge.bridge
      return !!bridge && bridge.getStatus().state === 'connected' && !!bridge.ws && bridge.ws.readyState === 1
    },
    null,
    'the bridge to be connected',
  )

/** Waits until the page's 'message' listener has seen `count` messages. */
export const untilDelivered = (page: Page, count: number) =>
  pageUntil(page, (n) => (window as unknown as FaultWindow).__got.length >= n, count, count + ' messages delivered to the listener')

/** Waits until the newest message stored under ws_messages_{room} is `id`: the coalesced write has happened. */
export const untilStoredLast = (page: Page, room: string, id: string, what = 'the last message in storage') =>
  pageUntil(page, ([r, last]) => (JSON.parse(sessionStorage.getItem('ws_messages_' + r) || '[]') as Array<{ id?: unknown }>).at(-1)?.id === last, [room, id] as const, what)

export const pageStatus = (page: Page) => page.evaluate(() => ((window as unknown as FaultWindow).WsBridge.bridge as Bridge).getStatus())

/** The figure line every case prints. */
export function figure(line: string): void {
  console.log('[faults] ' + line)
}
