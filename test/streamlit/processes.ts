// Child processes for the real-Streamlit e2e: the example server and `streamlit run`,
// each in its own process group (scripts/harness/servers.mjs) so stop() leaves no orphan behind.
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { testServerEnv } from '../../scripts/harness/access.mjs'
import { exampleApp, launch, startServer } from '../../scripts/harness/servers.mjs'

/** What startGameServer()'s operator routes (/stats, /stats/reset, /admin/*) need. */
export { adminHeaders } from '../../scripts/harness/access.mjs'

// How long stop() waits after SIGTERM before SIGKILL.
const STOP_GRACE_MS = 5000

export interface Proc {
  readonly proc: ChildProcess
  readonly port: number
  /** Everything it printed (stdout and stderr), for failure messages. */
  output(): string
  /** SIGTERM to the whole group, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Thrown from an `until` check when waiting longer cannot help (the process exited): fails at once. */
export class Hopeless extends Error {}

/** Waits for `check` (polled every `every` ms) or fails after `limitMs` with `what`. */
export async function until<T>(check: () => T | Promise<T>, what: string, limitMs = 30000, every = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (err) {
      if (err instanceof Hopeless) throw err
      last = err
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what + (last ? ' (last error: ' + String(last) + ')' : ''))
    await sleep(every)
  }
}

export interface GameServerOptions {
  /** Persist events to this file and reload them on start (--event-log), so a restart loses no replay log. */
  eventLog?: string
  /** Extra environment (REPLAY_LOG_SIZE …). */
  env?: NodeJS.ProcessEnv
  /** How long to wait for READY before stopping it and failing (default: the harness's 60 s). */
  readyWithinMs?: number
}

/**
 * The example game server (examples/server/app.py) on `port` (0 = a free one), once it printed READY;
 * with the test publish endpoint and the operator routes on (adminHeaders()), and pages of any origin allowed.
 */
export function startGameServer(python: string, port = 0, options: GameServerOptions = {}): Promise<Proc & { url: string }> {
  const env = { ...testServerEnv(), ...options.env }
  return startServer(exampleApp({ python, publishEndpoint: true }), { ...options, env, port, name: 'the example server', stopGraceMs: STOP_GRACE_MS })
}

/**
 * The ids of every event `room` retains on the game server at `base`, oldest first, read as the
 * fallback poll serves them: page after page while an answer says it was cut short (X-WS-Bridge-More).
 */
export async function roomLog(base: string, room: string): Promise<string[]> {
  const ids: string[] = []
  for (;;) {
    const since = ids.length ? '?since=' + encodeURIComponent(ids[ids.length - 1]) : ''
    const response = await fetch(base + '/rooms/' + encodeURIComponent(room) + '/events' + since)
    if (!response.ok) throw new Error('GET /rooms/' + room + '/events' + since + ': HTTP ' + response.status)
    const page = (await response.json()) as Array<{ id: string }>
    ids.push(...page.map((event) => event.id))
    if (response.headers.get('x-ws-bridge-more') !== '1' || page.length === 0) return ids
  }
}

/** Publishes `count` tick events into `room` through the game server's test publish endpoint; their ids. */
export async function publishTicks(base: string, room: string, count: number): Promise<string[]> {
  const response = await fetch(base + '/rooms/' + encodeURIComponent(room) + '/events', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'tick', count }),
  })
  if (!response.ok) throw new Error('POST /rooms/' + room + '/events: HTTP ' + response.status)
  return ((await response.json()) as { ids: string[] }).ids
}

/** The arguments of `streamlit run app` on `port`: loopback, headless, no usage stats, no file watcher. */
export function streamlitArgs(app: string, port: number, extra: string[] = []): string[] {
  return [
    'run', app,
    '--server.port', String(port),
    '--server.address', '127.0.0.1',
    '--server.headless', 'true',
    '--browser.gatherUsageStats', 'false',
    '--server.fileWatcherType', 'none',
    '--server.runOnSave', 'false',
    '--client.toolbarMode', 'minimal',
    ...extra,
  ]
}

/** `streamlit run app` on a free port, headless, once /_stcore/health answers. */
export async function startStreamlit(streamlit: string, app: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Proc & { url: string }> {
  const port = await freePort()
  const launched = launch([streamlit, ...streamlitArgs(app, port, extra)], { name: 'streamlit', env, stopGraceMs: STOP_GRACE_MS })
  const url = 'http://127.0.0.1:' + port
  try {
    await until(async () => {
      if (launched.proc.exitCode !== null) throw new Hopeless('streamlit exited:\n' + launched.output())
      const response = await fetch(url + '/_stcore/health')
      return response.ok
    }, 'streamlit to answer /_stcore/health (' + app + ')', 60000, 200)
  } catch (err) {
    await launched.stop()
    throw err
  }
  return { ...launched, port, url }
}
