// The compact cross-version check: for every Streamlit pinned in
// test/streamlit/versions.json, `streamlit run test/streamlit/app.py` from that
// version's own venv (.venv-streamlit/<version>, made by
// scripts/setup-streamlit-matrix.mjs), in a real Chromium, against the example
// game server on its in-memory store (from the main .venv), in each frame mode
// the version supports. The full suites (component.e2e, v2.e2e) run on the main
// .venv; this one checks the core guarantees on each version: events once and in
// order across reruns on one socket, no idle rerun, nothing repeated by a reload,
// and a server restart reaching Python as exactly one reset. Counts come from the
// server's /stats and log and from the ledger the app writes; no timed assertion.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, executablePath } from '../browser/browser'
import { clickRerun, expectExactlyOnce, idleRuns, printTabs } from './drive'
import { Ledger } from './ledger'
import { adminHeaders, type Proc, startGameServer, startStreamlit, until } from './processes'
import { streamlitMissing } from './requirements'

type Frame = 'iframe' | 'v2'
interface Pinned {
  version: string
  frames: Frame[]
}

const VERSIONS = JSON.parse(readFileSync('test/streamlit/versions.json', 'utf8')) as Pinned[]
const MAIN_PYTHON = '.venv/bin/python'
const venvBin = (version: string) => join('.venv-streamlit', version, 'bin')

const missing = streamlitMissing(MAIN_PYTHON, '.venv/bin/streamlit', executablePath)
const noVenv = VERSIONS.map(({ version }) => join(venvBin(version), 'streamlit')).filter((path) => !existsSync(path))
const wanted = [...missing, ...noVenv.map((path) => path + ' (run: node scripts/setup-streamlit-matrix.mjs)')]
if (wanted.length && process.env.CI) throw new Error('the Streamlit version matrix needs: ' + wanted.join(', '))
if (wanted.length) console.warn('[test/streamlit] matrix (or some of its versions) skipped, missing: ' + wanted.join(', '))

interface Tab {
  frame: Frame
  label: string
  room: string
  context: BrowserContext
  page: Page
  errors: string[]
}

describe.skipIf(missing.length > 0)('every pinned Streamlit version (real streamlit run, real Chromium)', () => {
  let browser: Browser
  const results: string[] = []

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  })
  afterAll(async () => {
    await browser?.close().catch(() => {})
    console.log('[test/streamlit matrix]\n' + results.join('\n'))
  })

  for (const { version, frames } of VERSIONS) {
    describe.skipIf(noVenv.includes(join(venvBin(version), 'streamlit')))('Streamlit ' + version + ' (' + frames.join(' + ') + ')', { timeout: 120000 }, () => {
      let game: Proc & { url: string }
      let app: Proc & { url: string }
      let dir: string
      let ledger: Ledger
      const tabs: Tab[] = []
      let started = 0

      const publish = async (room: string, count: number): Promise<string[]> => {
        const response = await fetch(game.url + '/rooms/' + room + '/events', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'tick', count }),
        })
        if (!response.ok) throw new Error('publish: HTTP ' + response.status)
        return ((await response.json()) as { ids: string[] }).ids
      }
      const stats = async () => (await fetch(game.url + '/stats', { headers: adminHeaders() })).json() as Promise<{ ws_connections_total: number; ws_open_by_room: { [room: string]: number } }>
      const serverLog = async (room: string): Promise<string[]> =>
        ((await (await fetch(game.url + '/rooms/' + room + '/events')).json()) as Array<{ id: string }>).map((event) => event.id)
      const waitDelivered = (tab: Tab, ids: string[], what: string) =>
        until(() => {
          const got = new Set(ledger.delivered(tab.label))
          return ids.every((id) => got.has(id))
        }, version + ' ' + tab.frame + ': ' + what, 60000)

      beforeAll(async () => {
        started = Date.now()
        // The venv really runs the version pinned for it, and its Components v2 matches the frames tested.
        const probe = spawnSync(join(venvBin(version), 'python'), ['-c',
          'import streamlit; from streamlit_ws_bridge._v2 import v2_available; print(streamlit.__version__, v2_available())'], { encoding: 'utf8' })
        expect(probe.stdout.trim()).toBe(version + ' ' + (frames.includes('v2') ? 'True' : 'False'))
        dir = mkdtempSync(join(tmpdir(), 'wsb-matrix-'))
        ledger = new Ledger(join(dir, 'ledger.jsonl'))
        game = await startGameServer(MAIN_PYTHON, 0)
        app = await startStreamlit(join(venvBin(version), 'streamlit'), 'test/streamlit/app.py', { WSB_SERVER: game.url, WSB_LEDGER: ledger.path })
        await Promise.all(frames.map(async (frame) => {
          const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
          context.setDefaultTimeout(60000)
          const page = await context.newPage()
          const errors: string[] = []
          page.on('pageerror', (error) => errors.push(error.message))
          const tab: Tab = { frame, label: frame, room: 'm' + version.replace(/\./g, '-') + '-' + frame, context, page, errors }
          tabs.push(tab)
          await page.goto(app.url + '/?frame=' + frame + '&room=' + tab.room + '&tab=' + tab.label)
          await page.getByText('state: connected').waitFor()
        }))
      }, 120000)

      beforeEach(({ onTestFailed }) =>
        onTestFailed(() => printTabs('matrix-' + version, tabs.map((t) => ({ ...t, mode: t.frame })), [['game server', game], ['streamlit', app]])))

      afterAll(async () => {
        for (const t of tabs) await t.context.close().catch(() => {})
        await Promise.all([app?.stop(), game?.stop()])
        if (dir) rmSync(dir, { recursive: true, force: true })
        results.push('  Streamlit ' + version + ' [' + frames.join(', ') + ']: ' + ((Date.now() - started) / 1000).toFixed(1) + ' s')
      }, 60000)

      it('delivers events once, in order, across 10 reruns by another widget, on one socket per tab', async () => {
        const before = await stats()
        const injected: { [frame: string]: string[] } = {}
        await Promise.all(tabs.map(async (t) => {
          injected[t.frame] = []
          await clickRerun(t.page, ledger, t.label, 10, async (i) => {
            if (i % 2 === 0) injected[t.frame].push(...(await publish(t.room, 3)))
          })
        }))
        for (const t of tabs) {
          await waitDelivered(t, injected[t.frame], 'the events sent between reruns')
          expectExactlyOnce(ledger.delivered(t.label), injected[t.frame])
          expect(ledger.clicks(t.label)).toBeGreaterThanOrEqual(10)
        }
        const after = await stats()
        expect(tabs.map((t) => after.ws_open_by_room[t.room])).toEqual(tabs.map(() => 1))
        expect(after.ws_connections_total - before.ws_connections_total).toBe(0)
      })

      it('runs no script during 3 s of idle', async () => {
        expect(await idleRuns(ledger, 3000)).toEqual([])
      })

      it('neither repeats nor loses an event across a page reload', async () => {
        await Promise.all(tabs.map(async (t) => {
          const sessions = ledger.sessions(t.label).size
          const first = await publish(t.room, 5)
          await waitDelivered(t, first, 'the events before the reload')
          await t.page.reload()
          const second = await publish(t.room, 5)
          await t.page.getByText('state: connected').waitFor()
          await waitDelivered(t, second, 'the events after the reload')
          expect(ledger.sessions(t.label).size).toBe(sessions + 1)
          const all = ledger.delivered(t.label)
          expect(new Set(all).size).toBe(all.length)
          expectExactlyOnce(all, [...first, ...second])
          await until(async () => (await stats()).ws_open_by_room[t.room] === 1, 'one socket for ' + t.room + ' after the reload')
        }))
      })

      it('tells Python exactly once when the in-memory server restarts, then delivers every later event once', async () => {
        const mark = new Map(tabs.map((t) => [t.label, ledger.delivered(t.label).length]))
        const port = game.port
        await game.stop()
        game = await startGameServer(MAIN_PYTHON, port)
        for (const t of tabs) await until(() => ledger.delivered(t.label).some((id) => id.startsWith('reset:')), version + ' ' + t.frame + ': the reset in Python', 60000)
        for (const t of tabs) {
          const after = await publish(t.room, 5)
          await waitDelivered(t, after, 'the events after the restart')
          const delivered = ledger.delivered(t.label).slice(mark.get(t.label))
          const resets = delivered.filter((id) => id.startsWith('reset:'))
          expect(resets).toHaveLength(1)
          // After the reset: everything the new server logged after the reset's resume id, once, in order.
          const log = await serverLog(t.room)
          const resume = resets[0].slice('reset:'.length)
          expect(delivered.slice(delivered.indexOf(resets[0]) + 1)).toEqual(log.slice(log.indexOf(resume) + 1))
          expect(t.errors).toEqual([])
        }
      })
    })
  }
})
