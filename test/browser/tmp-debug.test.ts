import { chromium } from 'playwright-core'
import { it } from 'vitest'
import { EventServer } from '../helpers/ws-server'
import { CHROMIUM_ARGS, openPage, waitConnected, waitStored } from './browser'
import { PageServer, html, scriptTag } from './page-server'

it('debug fallback', async () => {
  const pages = await new PageServer().start()
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
  const server = await new EventServer().start()
  const t0 = Date.now()
  const { page, console: out, errors } = await openPage(browser, pages.add(html(scriptTag({ url: server.url, room: 'f', 'fallback-url': server.httpUrl + '/events', 'fallback-interval': 200, 'retry-delay': 100, 'max-retry-delay': 1000 }))), [])
  console.log('goto', Date.now() - t0)
  await waitConnected(page)
  console.log('connected', Date.now() - t0)
  await page.evaluate(() => { (window as any).__log = []; (window as any).WsBridge.bridge.on('status', (s: any) => (window as any).__log.push([Date.now(), s.state, s.transport, s.lastError])); (window as any).WsBridge.bridge.on('error', (e: any) => (window as any).__log.push([Date.now(), 'ERR', e.kind, e.message])) })
  server.emit({ text: 'x' })
  await waitStored(page, 'f', 'e1')
  console.log('stored', Date.now() - t0)
  server.options.refuseUpgrades = true
  server.dropAll()
  await new Promise((r) => setTimeout(r, 3000))
  console.log(JSON.stringify(await page.evaluate(() => (window as any).__log), null, 1))
  console.log('polls', server.polls, 'upgrades', server.upgrades)
  console.log(out, errors)
  await browser.close(); await server.stop(); await pages.stop()
}, 60000)
