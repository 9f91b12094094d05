// Child processes for the real-Streamlit e2e: the example server and `streamlit run`,
// each in its own process group so stop() leaves no orphan behind.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

export interface Proc {
  readonly child: ChildProcess
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

function launch(command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return { child, output: () => text }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
    const exited = once(child, 'exit')
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), name)
      } catch {
        // already gone
      }
    }
    signal('SIGTERM')
    const killer = setTimeout(() => signal('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
}

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
  /** How long to wait for READY before stopping it and failing (default 30 s). */
  readyWithinMs?: number
}

/** The example game server (examples/server/app.py) on `port` (0 = a free one), once it printed READY. */
export async function startGameServer(python: string, port = 0, options: GameServerOptions = {}): Promise<Proc & { url: string }> {
  const args = ['examples/server/app.py', '--host', '127.0.0.1', '--port', String(port)]
  if (options.eventLog) args.push('--event-log', options.eventLog)
  const { child, output } = launch(python, args, options.env || {})
  const stop = stopper(child)
  let url: string
  try {
    url = await until(() => {
      if (child.exitCode !== null) throw new Hopeless('the example server exited:\n' + output())
      const match = /READY (http:\/\/127\.0\.0\.1:(\d+))/.exec(output())
      return match ? match[1] : null
    }, 'the example server to print READY', options.readyWithinMs ?? 30000)
  } catch (err) {
    // A server that never said READY (hung, or slow) is still ours: no one else would stop it.
    await stop()
    throw err
  }
  return { child, port: Number(new URL(url).port), url, output, stop }
}

/** `streamlit run app` on a free port, headless, once /_stcore/health answers. */
export async function startStreamlit(streamlit: string, app: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Proc & { url: string }> {
  const port = await freePort()
  const args = [
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
  const { child, output } = launch(streamlit, args, env)
  const url = 'http://127.0.0.1:' + port
  const stop = stopper(child)
  try {
    await until(async () => {
      if (child.exitCode !== null) throw new Hopeless('streamlit exited:\n' + output())
      const response = await fetch(url + '/_stcore/health')
      return response.ok
    }, 'streamlit to answer /_stcore/health (' + app + ')', 60000, 200)
  } catch (err) {
    await stop()
    throw err
  }
  return { child, port, url, output, stop }
}
