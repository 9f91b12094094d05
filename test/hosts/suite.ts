// One host's contract suite over its pinned sets (kinds.ts: test/hosts/versions.json, or Streamlit's
// newest): the example server, the host from the set's venv, Chromium, and the cases of contract.ts
// in order on one fixture; `more` adds a host's own cases (JupyterLab: two tabs, kernel restart).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { publishTicks, startGameServer, until } from '../streamlit/processes'
import {
  burst, checkAgainstServer, expectOnceInOrder, type Fixture, firstEvent, GAME_ENV, GAME_PYTHON, idle, latencyText,
  openSockets, publishVolleys, restartGame, showBridge, waitConnected, waitDelivered,
} from './contract'
import { HostLog } from './hostlog'
import { type HostKind, startHost } from './hosts'
import { KINDS } from './kinds'
import { labRunAll, labSave, printTabs, type Tab } from './pages'

/** The quiet period of the idle case (the figure is per minute: WSB_HOSTS_IDLE_MS=60000). */
export const IDLE_MS = Number(process.env.WSB_HOSTS_IDLE_MS || 10000)

export interface Shared {
  fx: Fixture
  /** The tab, room and first log line of the "once and in order" case, which later cases reuse. */
  main: { tab: Tab; room: string; from: number; label: string }
  figure(text: string): void
}

export function hostSuite(kind: HostKind, more?: (shared: () => Shared) => void): void {
  const about = KINDS[kind]
  const built = about.built() && checkChromium('the ' + kind + ' host e2e')
  if (!built && process.env.CI) throw new Error('the ' + kind + ' host e2e needs ' + about.needs + ' and Chromium')
  if (!built) console.warn('[hosts] ' + kind + ' e2e skipped: ' + about.needs + ' or Chromium is missing')

  for (const set of about.sets()) {
    describe.skipIf(!built)(kind + ' (' + set.name + '): each event once, in order', { timeout: 240000 }, () => {
      let fx: Fixture
      let dir: string
      let main: Shared['main']
      const figure = (text: string) => {
        const line = '[hosts] ' + kind + ' (' + set.name + '): ' + text
        console.log(line)
      }

      beforeAll(async () => {
        const bin = set.setup()
        dir = mkdtempSync(join(tmpdir(), 'wsb-hosts-' + kind + '-'))
        const scratch = join(dir, 'served')
        mkdirSync(scratch)
        const files = { config: join(dir, 'config.json'), log: join(dir, 'log.jsonl') }
        const log = new HostLog(files.log)
        const game = await startGameServer(GAME_PYTHON, 0, { env: GAME_ENV })
        fx = { game, log, scratch, config: files.config, tabs: [], browser: undefined as never, host: undefined as never }
        const target = about.target(scratch)
        const [host, browser] = await Promise.all([
          startHost(kind, bin, target, dir, files),
          chromium.launch({ executablePath, args: CHROMIUM_ARGS }),
        ])
        fx.host = host
        fx.browser = browser
      }, 180000)

      afterAll(async () => {
        for (const tab of fx?.tabs || []) await tab.page.context().close().catch(() => {})
        await fx?.browser?.close().catch(() => {})
        await Promise.all([fx?.host?.stop(), fx?.game?.stop()])
        if (dir) rmSync(dir, { recursive: true, force: true })
      }, 60000)

      const failed = (name: string) => async (err: unknown) => {
        await printTabs(kind + '-' + set.name + '-' + name, fx.tabs, [fx.host, fx.game])
        throw err
      }

      it('once and in order, as the server logged them', async () => {
        const room = kind + '-order'
        const shown = await showBridge(fx, 'order', room)
        main = { tab: shown.tab, room, from: shown.from, label: 'order' }
        const first = await firstEvent(fx, room, shown.from, shown.opened).catch(failed('order'))
        const ids = await publishVolleys(fx, room, 20, 5, 50)
        await waitDelivered(fx.log, ids, '100 events in Python', shown.from, 'order').catch(failed('order'))
        const delivered = await checkAgainstServer(fx, room, shown.from, 'order')
        figure(`once and in order: ${delivered.length} events as the server logged them; page open -> first event in Python ${first} ms; ` +
          `server -> Python ${latencyText(fx.log, shown.from)}`)
      })

      it('a 1,000-event burst complete, in few batches', async () => {
        const { batches, calls, ms } = await burst(fx, main.room, main.label).catch(failed('burst'))
        figure(`1,000-event burst: complete, once each, in ${batches} batches (${calls} Python calls), ${ms} ms`)
        expect(batches).toBeGreaterThan(0)
      })

      it('no Python calls while idle', async () => {
        const quiet = await idle(fx, IDLE_MS)
        figure(`idle ${IDLE_MS / 1000} s: ${quiet.calls} Python calls, ${quiet.batches} batches, ${quiet.traits} trait updates`)
        expect(quiet).toEqual({ calls: 0, traits: 0, batches: 0 })
      })

      it('nothing repeated by a reload', async () => {
        const mark = fx.log.mark()
        let how = 'the page alone'
        if (kind === 'jupyterlab') await labSave(main.tab.page)
        await main.tab.page.reload()
        if (kind === 'jupyterlab') {
          // The kernel lives on; a saved widget output is restored from it, else the cell runs again.
          const restored = await waitConnected(fx.log, main.label, mark, 20000).then(() => true, () => false)
          if (!restored) {
            await labRunAll(main.tab.page)
            how = 'the cell run again (the saved output did not restore the view)'
          } else how = 'the saved output restored from the live kernel'
        }
        await waitConnected(fx.log, main.label, mark).catch(failed('reload'))
        const ids = await publishVolleys(fx, main.room, 4, 5, 50)
        await waitDelivered(fx.log, ids, '20 events after the reload', mark, main.label).catch(failed('reload'))
        const all = await checkAgainstServer(fx, main.room, main.from, main.label)
        const sessions = new Set(fx.log.lines(main.from).filter((l) => l.kind === 'session' && l.label === main.label).map((l) => l.session))
        figure(`reload: nothing repeated (${all.length} events once each across ${sessions.size} Python widget sessions; view back by ${how})`)
      })

      it('one socket per room per page, the widget shown twice', async () => {
        const room = kind + '-twice'
        const shown = await showBridge(fx, 'twice', room, true)
        await waitConnected(fx.log, 'twice', shown.from).catch(failed('twice'))
        const open = await openSockets(fx, room)
        const ids = await publishVolleys(fx, room, 2, 5, 50)
        await waitDelivered(fx.log, ids, '10 events in Python', shown.from, 'twice').catch(failed('twice'))
        expectOnceInOrder(fx.log.delivered(shown.from, 'twice'), ids)
        figure(`one socket per room per page: ${open} open for the room with the widget shown ${about.twice}`)
        expect(open).toBe(1)
      })

      it('one reset when the in-memory server restarts', async () => {
        const from = fx.log.mark()
        await restartGame(fx)
        await until(() => fx.log.count('reset', from, 'twice') > 0, 'the reset in Python', 120000, 100).catch(failed('reset'))
        const ids = await publishTicks(fx.game.url, kind + '-twice', 10)
        await waitDelivered(fx.log, ids, '10 events after the restart', from, 'twice').catch(failed('reset'))
        await new Promise((r) => setTimeout(r, 1000))
        const delivered = fx.log.delivered(from, 'twice')
        expect(delivered.filter((id) => id === 'reset')).toHaveLength(1)
        expectOnceInOrder(delivered, ids)
        expect(delivered.indexOf('reset')).toBeLessThan(delivered.indexOf(ids[0]))
        figure(`server restart: Python got 1 reset, then the ${ids.length} later events once each`)
      })

      more?.(() => ({ fx, main, figure }))
    })
  }
}
