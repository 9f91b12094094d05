// The delivery contract in a Gradio app (test/hosts/suite.ts), oldest and newest pinned sets:
// `python test/hosts/apps/gradio_app.py`, WsBridge (a gr.HTML whose server function carries the
// batches) made per session by gr.render. Each page load is a new session: once per browser tab.
import { expect, it } from 'vitest'
import { until } from '../streamlit/processes'
import { expectOnceInOrder, publishVolleys, waitDelivered } from './contract'
import { writeConfig } from './hostlog'
import { hostSuite } from './suite'

const loopback = (url: URL) => url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:'

hostSuite('gradio', (shared) => {
  // The indicator, and the change event an app redraws from: on the main tab (reloaded, then reset by the restart).
  it('the indicator shows the status, and change shows what Python received', async () => {
    const { fx, main, figure } = shared()
    const page = main.tab.page
    const from = fx.log.mark()
    const ids = await publishVolleys(fx, main.room, 1, 5, 0)
    await waitDelivered(fx.log, ids, '5 events on the main tab', from, main.label)
    const sessions = fx.log.lines().filter((line) => line.kind === 'session' && line.label === main.label)
    const session = sessions[sessions.length - 1].session
    const received = fx.log.lines().filter((line) => line.kind === 'event' && line.session === session).length
    const box = page.locator('.wsb-received textarea, .wsb-received input').first()
    const shown = await until(async () => ((await box.inputValue()) === received + ' received' ? received + ' received' : null), 'the textbox to show ' + received)
    const indicator = await page.locator('.ws-bridge-status').first().innerText()
    figure(`indicator "${indicator}"; change redrew the app's textbox: "${shown}" (${fx.log.lines(from).filter((l) => l.kind === 'msg').length} Python calls for the 5 events)`)
    expect(indicator).toBe('🟢 Connected')
  })

  // Offline is the claim: a tab whose every request beyond loopback is refused still delivers.
  // What the page asked for outside is printed: Gradio's own page, not the component, may ask.
  it('works offline: every request beyond loopback refused, each event still once', async () => {
    const { fx, figure } = shared()
    const room = 'gradio-offline'
    const ws = fx.game.url.replace('http://', 'ws://') + '/ws/{room}/{player}'
    writeConfig(fx.config, { widget: 'bridge', label: 'offline', url: ws, room, player: 'offline' })
    const from = fx.log.mark()
    const context = await fx.browser.newContext()
    const refused: string[] = []
    await context.route((url) => !loopback(url), (route) => {
      refused.push(route.request().url())
      return route.abort()
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    fx.tabs.push({ label: 'offline', page, errors })
    await page.goto(fx.host.url + '/')
    // The first ticks may come before the page's socket opens: a volley a time until Python got one whole.
    await until(async () => {
      const ids = await publishVolleys(fx, room, 1, 5, 0)
      await new Promise((resolve) => setTimeout(resolve, 300))
      const got = new Set(fx.log.delivered(from, 'offline'))
      return ids.every((id) => got.has(id))
    }, 'a first volley in the offline tab', 120000, 0)
    const later = await publishVolleys(fx, room, 4, 5, 50)
    await waitDelivered(fx.log, later, '20 events in the offline tab', from, 'offline')
    expectOnceInOrder(fx.log.delivered(from, 'offline'), later)
    figure(`offline: ${refused.length} requests beyond loopback refused ${JSON.stringify(refused.slice(0, 4))}; the 20 later events reached Python once each`)
  })
})
