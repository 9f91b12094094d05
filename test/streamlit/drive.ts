// Driving test/streamlit/app.py from a test: reruns by its "rerun" button and
// the exactly-once check, against the ledger the app writes.
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import type { Ledger } from './ledger'
import { until } from './processes'

/** Every injected id delivered once, in order; nothing delivered twice overall. */
export function expectExactlyOnce(delivered: string[], injected: string[]): void {
  const wanted = new Set(injected)
  expect(delivered.filter((id) => wanted.has(id))).toEqual(injected)
  expect(new Set(delivered).size).toBe(delivered.length)
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
