// Driving the real-Streamlit apps from a test: test/streamlit/app.py's reruns by
// its "rerun" button and the exactly-once check against the ledger it writes;
// the component's indicator in either mode; the example app's environment per
// mode; and what a failed test prints of each tab and process.
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { Ledger, Line } from './ledger'
import { type Proc, until } from './processes'

/** Where ws_bridge() renders: a Components v1 iframe, or (v2) the app's own page. */
export type Mode = 'iframe' | 'v2'
export const MODES: Mode[] = ['v2', 'iframe']
export const FRAME = 'iframe[title="streamlit_ws_bridge.ws_bridge"]'

/** The connection indicator: in the component's iframe, or in the v2 element's open shadow root (CSS locators enter it). */
export const indicator = (page: Page, mode: Mode): Locator =>
  mode === 'iframe' ? page.frameLocator(FRAME).locator('#status') : page.locator('.ws-bridge-status')

/** examples/streamlit_app.py's environment: v2 is its default (frame="auto" on Streamlit 1.51+), WS_BRIDGE_FRAME forces the iframe. */
export const exampleAppEnv = (server: string, mode: Mode): NodeJS.ProcessEnv =>
  mode === 'iframe' ? { WS_BRIDGE_SERVER: server, WS_BRIDGE_FRAME: 'iframe' } : { WS_BRIDGE_SERVER: server }

export interface ShownTab {
  label: string
  page: Page
  errors: string[]
  /** The component's mode in this tab; none for a page without the component. */
  mode?: Mode
}

/**
 * On a failure, what each tab showed and what each process printed: CI keeps only the log, so
 * this is the one view of a failed run (with a screenshot per tab under test-results/).
 */
export async function printTabs(tag: string, tabs: ShownTab[], procs: Array<readonly [string, Proc | undefined]>): Promise<void> {
  for (const tab of tabs) {
    const shown = await tab.page.evaluate(() => document.body.innerText).catch((err: unknown) => 'unreadable: ' + String(err))
    const light = tab.mode ? await indicator(tab.page, tab.mode).textContent({ timeout: 1000 }).catch(() => 'none') : 'none'
    await tab.page.screenshot({ path: 'test-results/failed-' + tag + '-' + tab.label + '.png', timeout: 5000 }).catch(() => {})
    // Each bridge's stored status (the page's sessionStorage, which a same-origin frame shares):
    // its last close code and error tell a server close, a heartbeat death and a remount apart.
    const statuses = await tab.page.evaluate(() =>
      Object.keys(sessionStorage).filter((key) => key.startsWith('ws_status_')).map((key) => key + ' ' + sessionStorage.getItem(key)).join('\n'),
    ).catch((err: unknown) => 'unreadable: ' + String(err))
    console.log('[' + tag + '] tab ' + tab.label + ' at ' + tab.page.url() + ', indicator ' + JSON.stringify(light) + ', page errors ' +
      JSON.stringify(tab.errors) + ', stored statuses:\n' + statuses + '\npage text:\n' + shown.slice(-3000))
  }
  for (const [name, proc] of procs) if (proc) console.log('[' + tag + '] ' + name + ' printed (last 3000 chars):\n' + proc.output().slice(-3000))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The script and fragment runs in `ms` of quiet, from the ledger. The window starts after a
 * second with no ledger line (the apps settled); `atStart` runs as it opens (to read counters).
 */
export async function idleRuns(ledger: Ledger, ms: number, atStart: () => Promise<void> = async () => {}): Promise<Line[]> {
  let last = ledger.mark()
  await until(async () => {
    await sleep(1000)
    const now = ledger.mark()
    const quiet = now === last
    last = now
    return quiet
  }, 'the apps to settle', 30000, 0)
  const mark = ledger.mark()
  await atStart()
  await sleep(ms)
  return ledger.lines().slice(mark).filter((line) => line.kind === 'run' || line.kind === 'fragment')
}

/** Every injected id delivered once, in order; nothing delivered twice overall. */
export function expectExactlyOnce(delivered: string[], injected: string[]): void {
  const wanted = new Set(injected)
  expect(delivered.filter((id) => wanted.has(id))).toEqual(injected)
  expect(new Set(delivered).size).toBe(delivered.length)
}

/**
 * 200 events in 50 volleys of 4, 10 ms apart, to tab `label`, checked exactly once; returns
 * the runs and deliveries of the 49 volleys after the first. The first volley must reach Python
 * before the others are sent: values go out during a burst, not once it is over. That is checked
 * by waiting for it instead of counting deliveries afterwards, since Streamlit under load merges
 * the reruns of several values into one run and may then hand the rest of a burst over at once.
 */
export async function deliverBurst(
  ledger: Ledger,
  label: string,
  inject: (count: number) => Promise<string[]>,
  waitDelivered: (ids: string[], what: string) => Promise<unknown>,
): Promise<{ runs: number; deliveries: number }> {
  const injected = await inject(4)
  await waitDelivered(injected, 'the first volley of the burst')
  const mark = ledger.mark()
  for (let volley = 1; volley < 50; volley++) {
    injected.push(...(await inject(4)))
    await sleep(10)
  }
  expect(injected).toHaveLength(200)
  await waitDelivered(injected, 'the 200-event burst')
  expectExactlyOnce(ledger.delivered(label), injected)
  return { runs: ledger.runs(label, mark), deliveries: ledger.deliveries(label, mark) }
}

const clickButton = (page: Page) =>
  page.evaluate(() => {
    const button = Array.from(document.querySelectorAll('button')).find((b) => (b.textContent || '').trim() === 'rerun')
    if (!button) throw new Error('no rerun button')
    button.click()
  })

/**
 * Clicks "rerun" until `times` runs of tab `label` got past the button, one at a time. A click
 * whose run is interrupted before the button (a component value can do that) is lost to
 * Streamlit: after a second without its run, the button is clicked again.
 */
export async function clickRerun(page: Page, ledger: Ledger, label: string, times: number, between: (i: number) => Promise<void>): Promise<void> {
  const from = ledger.mark()
  for (let attempts = 0; ledger.clicks(label, from) < times; attempts++) {
    if (attempts > times * 10) throw new Error('tab ' + label + ': only ' + ledger.clicks(label, from) + ' button runs after ' + attempts + ' clicks')
    const before = ledger.clicks(label, from)
    await clickButton(page)
    const ran = await until(() => ledger.clicks(label, from) > before, 'a button run', 1000, 20).then(() => true, () => false)
    if (ran) await between(before)
  }
}

/** Clicks "rerun" every `ms` from inside the page until the returned function is called; it resolves to the click count. */
export async function clickRerunEvery(page: Page, ms: number): Promise<() => Promise<number>> {
  await page.evaluate((interval) => {
    const w = window as unknown as { __clicks: number; __clicker: ReturnType<typeof setInterval> }
    w.__clicks = 0
    w.__clicker = setInterval(() => {
      const button = Array.from(document.querySelectorAll('button')).find((b) => (b.textContent || '').trim() === 'rerun')
      if (button) {
        button.click()
        w.__clicks++
      }
    }, interval)
  }, ms)
  return () =>
    page.evaluate(() => {
      const w = window as unknown as { __clicks: number; __clicker: ReturnType<typeof setInterval> }
      clearInterval(w.__clicker)
      return w.__clicks
    })
}
