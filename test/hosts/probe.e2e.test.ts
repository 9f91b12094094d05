// The channel each anywidget host gives us, in every pinned set (test/hosts/versions.json):
// custom messages both ways (JS model.send -> Python on_msg, Python send -> JS msg:custom)
// and synced traits both ways, with a throwaway widget (test/hosts/apps/wsb_probe.py).
// The bridge's design rests on custom messages: a host without them cannot carry it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostSets, setupHostSet } from '../../scripts/setup-hosts.mjs'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { until } from '../streamlit/processes'
import { HostLog, notebook, writeConfig } from './hostlog'
import { type Host, type HostKind, startHost } from './hosts'
import { KINDS } from './kinds'
import { labRunAll, openTab, pageUrl, printTabs, type Tab } from './pages'

const ready = checkChromium('the anywidget host probe')
// The anywidget hosts of each family (Dash's component is no anywidget: it has no probe).
const PROBED: Record<string, HostKind[]> = { jupyter: ['jupyterlab', 'voila'], marimo: ['marimo'], solara: ['solara'] }
const cases = hostSets().flatMap((set) => (PROBED[set.host] || []).map((kind) => ({ set, kind })))

describe.skipIf(!ready)('custom messages and traits, both ways, in each anywidget host', { timeout: 240000 }, () => {
  let browser: Browser
  let dir: string
  const results: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-hosts-probe-'))
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  })

  afterAll(async () => {
    await browser?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    console.log('[hosts] probe:\n' + results.join('\n'))
  })

  it.each(cases)('$kind from $set.name', async ({ set, kind }) => {
    const bin = setupHostSet(set)
    const scratch = mkdtempSync(join(dir, kind + '-'))
    const files = { config: join(scratch, 'config.json'), log: join(scratch, 'log.jsonl') }
    const log = new HostLog(files.log)
    writeConfig(files.config, { widget: 'probe', label: 'P' })
    writeFileSync(join(scratch, 'nb.ipynb'), notebook())
    const target = KINDS[kind].target(scratch)
    let host: Host | undefined
    let tab: Tab | undefined
    try {
      host = await startHost(kind, bin, target, scratch, files)
      const opened = Date.now()
      tab = await openTab(browser, kind, pageUrl(host))
      if (kind === 'jupyterlab') await labRunAll(tab.page)
      const probe = tab.page.locator('.wsb-probe')
      await probe.first().waitFor({ timeout: 90000 })
      const rendered = Date.now() - opened
      // JS -> Python custom message, then Python -> JS trait and custom message, then JS -> Python trait.
      await until(() => log.lines().find((line) => line.kind === 'msg' && line.content?.ping === 1), 'the ping in Python (JS model.send -> on_msg)', 30000)
      const pong = await until(() => probe.first().getAttribute('data-pong', { timeout: 1000 }), 'the pong in JS (Python send -> msg:custom)', 30000).catch(() => null)
      const label = await probe.first().getAttribute('data-label')
      const count = await until(() => log.lines().find((line) => line.kind === 'trait' && line.value === 1), 'count=1 in Python (JS save_changes -> trait)', 30000).catch(() => null)
      results.push(`[hosts] ${kind} (${set.name}): JS->Py custom yes, Py->JS custom ${pong === '1' ? 'yes' : 'NO'}, ` +
        `Py->JS trait ${label === 'from-python-1' ? 'yes' : 'NO (' + label + ')'}, JS->Py trait ${count ? 'yes' : 'NO'}, page open -> widget shown ${rendered} ms`)
      expect({ pong, label, count: Boolean(count) }).toEqual({ pong: '1', label: 'from-python-1', count: true })
    } catch (err) {
      await printTabs('probe-' + kind + '-' + set.name, tab ? [tab] : [], [host])
      throw err
    } finally {
      await tab?.page.context().close().catch(() => {})
      await host?.stop()
    }
  })
})

