// @ts-check
// Starts one of our servers as a child process on a loopback port and waits for its
// READY line (`READY http://127.0.0.1:<port>` on stdout, once it listens); servers.py
// is its twin for the Python suites. launch() alone starts a process that says it is
// up some other way (Redis, HAProxy, Streamlit). Every process leads its own process
// group, so a stop reaches whatever it spawned.
//
//   const server = await startServer(exampleApp({ python, publishEndpoint: true }), { name: 'the example server', env: testServerEnv(), eventLog })
//   server.url                       // http://127.0.0.1:<port>
//   await fetch(server.url + '/stats', { headers: adminHeaders() })
//   await server.stop()              // SIGTERM to the group, SIGKILL after stopGraceMs
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { ROOT, VENV_PYTHON } from '../setup-python.mjs'

const HOST = '127.0.0.1'
const READY = /READY (http:\/\/127\.0\.0\.1:(\d+))/
const KEPT_CHARS = 20000

/** @typedef {import('node:child_process').ChildProcess} ChildProcess */

/**
 * @typedef {object} Launched
 * @property {string} name Names it in failure messages.
 * @property {ChildProcess} proc
 * @property {number | undefined} pid Undefined when the spawn failed.
 * @property {() => string} output The last 20 kB of its stdout and stderr, for failure messages.
 * @property {() => Promise<void>} stop SIGTERM to its group, SIGKILL after stopGraceMs; resolves once it has exited.
 */

/** @typedef {Launched & { url: string, port: number }} Server */

/**
 * @typedef {object} LaunchOptions
 * @property {string} [name] Default: the command.
 * @property {NodeJS.ProcessEnv} [env] Added to this process's environment.
 * @property {string} [cwd] Default: the repository root.
 * @property {number} [stopGraceMs] How long stop() waits after SIGTERM before SIGKILL (default 8 s).
 */

/**
 * @typedef {object} ServerOnlyOptions
 * @property {number} [port] 0 (the default): a free one.
 * @property {string} [eventLog] --event-log PATH: the file store.
 * @property {string} [redis] --redis URL: the Redis store (replicas on one Redis share the rooms).
 * @property {number} [readyWithinMs] How long to wait for READY (default 60 s: cold imports on a busy machine are slow).
 * @property {(launched: Launched) => void} [onSpawn] Gets the process at once, so a caller can stop it even while it starts.
 */

/** @typedef {LaunchOptions & ServerOnlyOptions} ServerOptions */

/**
 * `python -m ws_bridge_server`: the bridge alone; `publishEndpoint` adds the test publish endpoint.
 * @param {{ python?: string, publishEndpoint?: boolean }} [options]
 * @returns {string[]}
 */
export function bareModule({ python = VENV_PYTHON, publishEndpoint = false } = {}) {
  return [python, '-m', 'ws_bridge_server', ...(publishEndpoint ? ['--publish-endpoint'] : [])]
}

/**
 * The example game server (examples/server/app.py): the bridge mounted in an app; `publishEndpoint`
 * adds the test publish endpoint. Its operator routes need ADMIN_TOKEN in its environment (testServerEnv()).
 * @param {{ python?: string, publishEndpoint?: boolean }} [options]
 * @returns {string[]}
 */
export function exampleApp({ python = VENV_PYTHON, publishEndpoint = false } = {}) {
  return [python, join(ROOT, 'examples', 'server', 'app.py'), ...(publishEndpoint ? ['--publish-endpoint'] : [])]
}


/** @param {ChildProcess} proc */
export const running = (proc) => proc.exitCode === null && proc.signalCode === null

/**
 * SIGTERM to `proc`'s group, SIGKILL after `graceMs`; resolves once the leader has exited.
 * @param {ChildProcess} proc
 * @param {number} graceMs
 */
async function stopGroup(proc, graceMs) {
  const pid = proc.pid
  if (!pid || !running(proc)) return
  const exited = once(proc, 'exit')
  /** @param {NodeJS.Signals} name */
  const signal = (name) => {
    try {
      process.kill(-pid, name)
    } catch {
      // gone already
    }
  }
  signal('SIGCONT') // a stopped (SIGSTOP) process cannot act on SIGTERM
  signal('SIGTERM')
  const killer = setTimeout(() => signal('SIGKILL'), graceMs)
  await exited
  clearTimeout(killer)
}

/**
 * Spawns `argv` in its own process group; keeps the last 20 kB of its output.
 * @param {string[]} argv
 * @param {LaunchOptions} [options]
 * @returns {Launched}
 */
export function launch(argv, { name = argv[0], env = {}, cwd = ROOT, stopGraceMs = 8000 } = {}) {
  const [command, ...args] = argv
  const proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  /** @param {Buffer | string} chunk */
  const keep = (chunk) => {
    text = (text + chunk.toString()).slice(-KEPT_CHARS)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  // A spawn failure (binary missing) must fail the start, not crash this process.
  proc.on('error', (err) => keep('\n' + name + ': ' + err.message + '\n'))
  return { name, proc, pid: proc.pid, output: () => text, stop: () => stopGroup(proc, stopGraceMs) }
}

/**
 * Group 1 of the first match of `pattern` in what `launched` printed (stdout, or both streams
 * with `anyStream`); rejects as soon as it has exited, or after `limitMs`.
 * @param {Launched} launched
 * @param {RegExp} pattern
 * @param {number} limitMs
 * @param {{ anyStream?: boolean, label?: string }} [options] label: names the line in the timeout message
 * @returns {Promise<string>}
 */
export function lineOf(launched, pattern, limitMs, { anyStream = false, label = String(pattern) } = {}) {
  const { proc, name } = launched
  const streams = anyStream ? [proc.stdout, proc.stderr] : [proc.stdout]
  let seen = ''
  return new Promise((resolve, reject) => {
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      seen += chunk.toString()
      const match = pattern.exec(seen)
      if (match) settle(() => resolve(match[1]))
    }
    // 'close', not 'exit': it comes after the last output, which the message carries.
    const onClose = () => settle(() => reject(new Error(name + ' exited:\n' + launched.output())))
    const timer = setTimeout(
      () => settle(() => reject(new Error('timed out waiting for ' + name + ' to print ' + label + ' (' + limitMs + ' ms):\n' + launched.output()))),
      limitMs,
    )
    /** @param {() => void} outcome */
    function settle(outcome) {
      clearTimeout(timer)
      for (const stream of streams) stream?.off('data', onData)
      proc.off('close', onClose)
      outcome()
    }
    for (const stream of streams) stream?.on('data', onData)
    proc.on('close', onClose)
  })
}

/**
 * Starts `argv` (bareModule(), exampleApp(), or any command that takes our servers'
 * --host and --port options and prints the READY line); resolves once it printed READY.
 * @param {string[]} argv
 * @param {ServerOptions} [options]
 * @returns {Promise<Server>}
 */
export async function startServer(argv, options = {}) {
  const { port = 0, eventLog, redis, readyWithinMs = 60000, onSpawn, env = {}, ...launchOptions } = options
  const args = [...argv, '--host', HOST, '--port', String(port)]
  if (eventLog) args.push('--event-log', eventLog)
  if (redis) args.push('--redis', redis)
  const launched = launch(args, { name: 'the server', ...launchOptions, env: { PYTHONUNBUFFERED: '1', ...env } })
  onSpawn?.(launched)
  try {
    const url = await lineOf(launched, READY, readyWithinMs, { label: 'READY' })
    return { ...launched, url, port: Number(new URL(url).port) }
  } catch (err) {
    // A server that never said READY (hung, slow or failing) is still ours: no one else would stop it.
    await launched.stop()
    throw err
  }
}
