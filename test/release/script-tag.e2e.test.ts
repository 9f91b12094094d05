// The script tag as a user takes it from the npm tarball: dist/ws-bridge.min.js
// extracted into a temporary folder, served from there to real Chromium with
// data-url and data-room; it defines WsBridge, connects to a real ws server and
// stores the event that server sends.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, type PageGlobals, bridgeMessageIds, checkChromium, executablePath, waitConnected } from '../browser/browser'
import { EventServer } from '../helpers/ws-server'
import { checkBuilt, packInto, scratchDir } from './artifacts'

/** Serves `script` at /ws-bridge.min.js and one page that loads it with these attributes. */
async function servePage(script: string, url: string, room: string): Promise<{ server: Server; page: string }> {
  const body = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>' +
    '<script src="/ws-bridge.min.js" data-url="' + url + '" data-room="' + room + '"></script></body></html>'
  const server = createServer((req, res) => {
    if (req.url === '/ws-bridge.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      res.end(readFileSync(script))
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(body)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, page: 'http://127.0.0.1:' + (server.address() as AddressInfo).port + '/' }
}

describe.skipIf(!checkChromium('script tag from the tarball') || !checkBuilt('script tag from the tarball'))('the script tag, from the npm tarball', () => {
  let dir = ''
  let script = ''
  let events: EventServer
  let pages: Server | undefined
  let browser: Browser

  beforeAll(async () => {
    dir = scratchDir('wsb-release-script-')
    const { tarball } = packInto(join(dir, 'out'))
    execFileSync('tar', ['-xzf', tarball, '-C', dir])
    script = join(dir, 'package', 'dist', 'ws-bridge.min.js')
    events = await new EventServer().start()
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  }, 120000)

  afterAll(async () => {
    if (browser) await browser.close().catch(() => {})
    if (pages) await new Promise<void>((resolve) => (pages as Server).close(() => resolve()))
    if (events) await events.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('loaded from the extracted dist/ws-bridge.min.js, defines WsBridge, connects to a real ws server and receives its event', async () => {
    expect(existsSync(script)).toBe(true)
    const served = await servePage(script, events.url + '/ws/tag/pia', 'tag')
    pages = served.server
    const context = await browser.newContext()
    context.setDefaultTimeout(30000)
    try {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(served.page)
      expect(await page.evaluate(() => Object.keys((window as unknown as PageGlobals).WsBridge).sort())).toEqual(
        ['DEFAULTS', 'bridge', 'connect', 'memoryStorage', 'redactUrl'],
      )
      await waitConnected(page)
      expect(events.open.map((c) => c.url.pathname)).toEqual(['/ws/tag/pia'])
      const event = events.emit({ text: 'to the script tag' })
      await page.waitForFunction((id) => {
        const bridge = (window as unknown as PageGlobals).WsBridge.bridge
        return !!bridge && bridge.getMessages().some((m) => m.id === id)
      }, event.id)
      expect(await bridgeMessageIds(page)).toEqual([event.id])
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60000)
})
