// The delivery contract every anywidget host is held to, as steps a suite strings together:
// a page showing a WsBridge for a fresh room, events published by the example server, and
// what Python got (test/hosts/apps/wsb_host_app.py's log) checked against the server's own
// log (roomLog). Figures are printed, never asserted against times.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { expect } from 'vitest'
import { adminHeaders, publishTicks, type Proc, roomLog, startGameServer, until } from '../streamlit/processes'
import { HostLog, notebook, writeConfig } from './hostlog'
import type { Host } from './hosts'
import { labRunAll, openTab, pageUrl, type Tab } from './pages'

export const GAME_PYTHON = '.venv/bin/python'
/** The example server keeps every event of a suite (1,000 is its default): roomLog is the whole truth. */
export const GAME_ENV = { REPLAY_LOG_SIZE: '5000' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface Fixture {
  host: Host
  browser: Browser
  game: Proc & { url: string }
  log: HostLog
  /** The host's served folder (notebooks) and the config file wsb_host_app.py reads. */
  scratch: string
  config: string
  tabs: Tab[]
}

/** Every id once, in the order of `expected`; nothing twice overall. */
export function expectOnceInOrder(delivered: string[], expected: string[]): void {
  const wanted = new Set(expected)
  expect(delivered.filter((id) => wanted.has(id))).toEqual(expected)
  const events = delivered.filter((id) => id !== 'reset')
  expect(events.length - new Set(events).size).toBe(0)
}

export const waitDelivered = (log: HostLog, ids: string[], what: string, from = 0, label?: string) =>
  until(() => {
    const got = new Set(log.delivered(from, label))
    return ids.every((id) => got.has(id))
  }, what, 120000, 100)

/** Waits for the page of `label` to report 'connected' to Python (the status trait) after line `from`. */
export const waitConnected = (log: HostLog, label: string, from: number, limitMs = 90000) =>
  until(() => log.lines(from).find((line) => line.kind === 'trait' && line.label === label &&
    (line.value as { state?: string } | undefined)?.state === 'connected'), label + ' connected (status trait in Python)', limitMs, 100)

/**
 * Shows a WsBridge for `room` under `label` in a new tab (its own browser context): writes the config
 * and the notebook `<label>.ipynb` (`twice`: a second cell shows the widget again), opens the page,
 * runs the cells in JupyterLab. Returns the tab and when the page was opened.
 */
export async function showBridge(fx: Fixture, label: string, room: string, twice = false): Promise<{ tab: Tab; opened: number; from: number }> {
  const ws = fx.game.url.replace('http://', 'ws://') + '/ws/{room}/{player}'
  writeConfig(fx.config, { widget: 'bridge', label, url: ws, room, player: label, twice })
  writeFileSync(join(fx.scratch, label + '.ipynb'), notebook(twice))
  const from = fx.log.mark()
  const opened = Date.now()
  const tab = await openTab(fx.browser, label, pageUrl(fx.host, label + '.ipynb'))
  fx.tabs.push(tab)
  if (fx.host.kind === 'jupyterlab') await labRunAll(tab.page)
  return { tab, opened, from }
}

/** Publishes one tick every 100 ms until Python got one; ms from `opened` to Python's first event. */
export async function firstEvent(fx: Fixture, room: string, from: number, opened: number): Promise<number> {
  let done = false
  const ticker = (async () => {
    while (!done) {
      await publishTicks(fx.game.url, room, 1)
      await sleep(100)
    }
  })()
  try {
    const line = await until(() => fx.log.lines(from).find((l) => l.kind === 'event'), 'the first event in Python', 120000, 50)
    return Math.round(line.t - opened)
  } finally {
    done = true
    await ticker
  }
}

/** Publishes `volleys` × `size` ticks, `gapMs` apart; their ids. */
export async function publishVolleys(fx: Fixture, room: string, volleys: number, size: number, gapMs: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < volleys; i++) {
    ids.push(...(await publishTicks(fx.game.url, room, size)))
    await sleep(gapMs)
  }
  return ids
}

/** Python's deliveries of `label` after `from` against the room's log from the first event Python got: equal, each once. */
export async function checkAgainstServer(fx: Fixture, room: string, from: number, label: string): Promise<string[]> {
  const delivered = fx.log.delivered(from, label).filter((id) => id !== 'reset')
  const server = await roomLog(fx.game.url, room)
  const start = server.indexOf(delivered[0])
  expect(start).toBeGreaterThanOrEqual(0)
  expect(delivered).toEqual(server.slice(start))
  return delivered
}

/** 1,000 ticks in one publish: every one once, in order; the batches (Python calls carrying events) it took. */
export async function burst(fx: Fixture, room: string, label: string): Promise<{ batches: number; calls: number; ms: number }> {
  const from = fx.log.mark()
  const started = Date.now()
  const ids = await publishTicks(fx.game.url, room, 1000)
  await waitDelivered(fx.log, ids, 'the 1,000-event burst in Python', from, label)
  const ms = Date.now() - started
  await sleep(500)
  expectOnceInOrder(fx.log.delivered(from, label), ids)
  return { batches: fx.log.count('batch', from, label), calls: fx.log.count('msg', from, label), ms }
}

/** The Python calls (custom messages, status trait changes, batches) of a quiet `ms`, after the log settled. */
export async function idle(fx: Fixture, ms: number): Promise<{ calls: number; traits: number; batches: number }> {
  let last = fx.log.mark()
  await until(async () => {
    await sleep(1000)
    const now = fx.log.mark()
    const quiet = now === last
    last = now
    return quiet
  }, 'Python to settle', 30000, 0)
  const from = fx.log.mark()
  await sleep(ms)
  return { calls: fx.log.count('msg', from), traits: fx.log.count('trait', from), batches: fx.log.count('batch', from) }
}

export interface Stats {
  ws_open_by_room: Record<string, number>
  ws_connections_total: number
}
export const stats = async (fx: Fixture): Promise<Stats> =>
  (await (await fetch(fx.game.url + '/stats', { headers: adminHeaders() })).json()) as Stats

/** The example server's open sockets for `room`, once steady (the same answer for a second). */
export async function openSockets(fx: Fixture, room: string): Promise<number> {
  let last = -1
  return until(async () => {
    const now = (await stats(fx)).ws_open_by_room[room] || 0
    const steady = now === last && now > 0
    last = now
    await sleep(500)
    return steady ? now : 0
  }, 'the socket count of ' + room + ' to settle', 30000, 500)
}

/** Stops the in-memory example server and starts it again on its port: every room's history is gone. */
export async function restartGame(fx: Fixture): Promise<void> {
  const port = fx.game.port
  await fx.game.stop()
  fx.game = await startGameServer(GAME_PYTHON, port, { env: GAME_ENV })
}

/** Server -> Python latency over the events after `from`, as printed. */
export const latencyText = (log: HostLog, from: number): string => {
  const { p50, p99, n } = log.latency(from)
  return `p50 ${p50} ms, p99 ${p99} ms (${n} events)`
}
