// The example app (examples/streamlit_app.py, what `npm run demo` serves) as a
// first visit: it says what it is before joining, joining from the sidebar puts
// room and player in the URL (a reload stays in the room), and its "Live
// figures" panel counts what arrives. Real `streamlit run`, real game server,
// real Chromium, and the app as a new user runs it: ws_bridge's default,
// frame="auto", which is v2 (no iframe) on the main .venv's Streamlit.
// Screenshots go to test-results/.
import { existsSync, mkdirSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { exampleAppEnv, indicator } from './drive'
import { type Proc, startGameServer, startStreamlit } from './processes'

const PYTHON = '.venv/bin/python'
const STREAMLIT = '.venv/bin/streamlit'

function haveStreamlit(): boolean {
  const ready = existsSync(STREAMLIT) && existsSync('python/streamlit_ws_bridge/frontend/build/index.html')
  if (!ready && process.env.CI) throw new Error('the example-app e2e needs .venv (node scripts/setup-python.mjs) and the frame (npm run build)')
  if (!ready) console.warn('[test/streamlit] example app skipped: no .venv or no built frame')
  return ready
}

/** The value shown under `label` in the "Live figures" panel (an st.metric). */
const figureText = async (page: Page, label: string) =>
  ((await page.getByTestId('stMetric').filter({ hasText: label }).getByTestId('stMetricValue').first().textContent()) || '').trim()

describe.skipIf(!checkChromium('example app') || !haveStreamlit())('example app, first visit (real Streamlit, real Chromium)', () => {
  let server: Proc & { url: string }
  let app: Proc & { url: string }
  let browser: Browser

  beforeAll(async () => {
    mkdirSync('test-results', { recursive: true })
    server = await startGameServer(PYTHON, 0)
    ;[app, browser] = await Promise.all([
      startStreamlit(STREAMLIT, 'examples/streamlit_app.py', exampleAppEnv(server.url, 'v2'), ['--theme.base', 'light']),
      chromium.launch({ executablePath, args: CHROMIUM_ARGS }),
    ])
  }, 120000)

  afterAll(async () => {
    if (browser) await browser.close().catch(() => {})
    await Promise.all([app && app.stop(), server && server.stop()])
  }, 60000)

  it('says what it is before joining; joining puts room and player in the URL, so a reload stays in the room; the live figures count what arrives', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(60000)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    try {
      await page.goto(app.url + '/')
      const main = page.getByTestId('stMain')
      await main.getByRole('heading', { name: 'Game room chat' }).waitFor()
      await main.getByText('To join,').waitFor()
      await page.screenshot({ path: 'test-results/example-before-join.png' })

      const sidebar = page.getByTestId('stSidebar')
      await sidebar.getByLabel('Room').fill('join-e2e')
      await sidebar.getByLabel('Your name').fill('dora')
      await sidebar.getByRole('button', { name: 'Join' }).click()
      await page.waitForURL((url) => url.searchParams.get('room') === 'join-e2e' && url.searchParams.get('player') === 'dora')
      await main.getByRole('heading', { name: 'Room join-e2e' }).waitFor()
      const light = indicator(page, 'v2')
      await expect.poll(() => light.textContent()).toBe('🟢 Connected')
      expect(await page.locator('iframe').count()).toBe(0)
      // The light theme: the indicator has the colour of the app's own text (the sidebar's, where it sits).
      const sidebarText = await sidebar.getByText('dora', { exact: true }).evaluate((el) => getComputedStyle(el).color)
      expect(await light.evaluate((el) => getComputedStyle(el).color)).toBe(sidebarText)

      const response = await fetch(server.url + '/rooms/join-e2e/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ player: 'eli', text: 'welcome, dora' }),
      })
      expect(response.ok).toBe(true)
      await page.getByText('eli: welcome, dora').waitFor()
      // The figures come from the same run that shows the message.
      expect(Number(await figureText(page, 'Script runs'))).toBeGreaterThanOrEqual(1)
      expect(Number(await figureText(page, 'Live-panel runs'))).toBeGreaterThanOrEqual(1)
      expect(Number(await figureText(page, 'Events received'))).toBeGreaterThanOrEqual(1)
      const delay = await figureText(page, 'Last event delay')
      expect(delay).toMatch(/^\d[\d,]* ms$/)
      console.log('[test/streamlit] example app: last event delay ' + delay + ', figures ' + JSON.stringify(await page.getByTestId('stMetric').allInnerTexts()))
      await page.screenshot({ path: 'test-results/example-joined.png' })

      await page.reload()
      await main.getByRole('heading', { name: 'Room join-e2e' }).waitFor()
      await page.getByText('eli: welcome, dora').waitFor()
      await expect.poll(() => page.getByTestId('stSidebar').getByText('dora', { exact: true }).count()).toBeGreaterThan(0)
      expect(await main.getByText('To join,').count()).toBe(0)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 180000)
})
