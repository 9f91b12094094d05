// The FastAPI example game server (examples/server/app.py) as a child process on
// a free loopback port (scripts/harness/servers.mjs), with its counters (/stats)
// and CPU time (/proc). Its test publish endpoint and operator routes are on, as
// the suites' servers have them (testServerEnv()), for this benchmark's requests only.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { adminHeaders, testServerEnv } from '../../scripts/harness/access.mjs'
import { exampleApp, startServer } from '../../scripts/harness/servers.mjs'
import { PYTHON, cpuSeconds, track, withTimeout } from './common.mjs'

export const havePython = () => existsSync(PYTHON)

let started = 0

export class ExampleServer {
  /** `label` names the profiles written by profile(). */
  constructor(env = {}, label = 'server') {
    this.env = env
    this.driverRequests = 0
    this.driverBytes = 0
    this.label = label + '-' + ++started
  }

  async start() {
    if (!havePython()) throw new Error(PYTHON + ' is missing: run npm run setup:python (or npm test) first')
    this.server = await startServer(exampleApp({ python: PYTHON, publishEndpoint: true }), {
      name: 'the example server',
      env: { ...testServerEnv(), ...this.env },
      stopGraceMs: 10000,
      // Tracked from its spawn on: a benchmark that exits, even mid-start, kills its group.
      onSpawn: ({ proc }) => track(proc, true),
    })
    this.origin = this.server.url
    this.ws = this.origin.replace(/^http/, 'ws')
    return this
  }

  /**
   * With BENCH_PROFILE_DIR and BENCH_PYSPY set, samples the server's stacks
   * (py-spy record --format raw, collapsed stacks) until the returned function
   * is awaited; otherwise does nothing.
   */
  profile(window) {
    const dir = process.env.BENCH_PROFILE_DIR
    const pyspy = process.env.BENCH_PYSPY
    if (!dir || !pyspy) return async () => {}
    const out = join(dir, this.label + '-' + window + '.txt')
    const child = track(spawn(pyspy, ['record', '--pid', String(this.pid), '--rate', '250', '--nonblocking', '--format', 'raw', '--output', out], { stdio: 'ignore' }))
    const exited = new Promise((resolve) => child.on('exit', resolve))
    return async () => {
      child.kill('SIGINT') // py-spy writes its output on SIGINT
      await withTimeout(exited, 20000, 'py-spy to write ' + out).catch(() => child.kill('SIGKILL'))
    }
  }

  get pid() {
    return this.server.pid
  }

  cpu() {
    return cpuSeconds(this.server.pid)
  }

  async request(method, path, body) {
    const res = await fetch(this.origin + path, {
      method,
      headers: { ...adminHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(method + ' ' + path + ' → ' + res.status + ' ' + text)
    // What the server counts for our own driver requests, so a benchmark can leave them out.
    if (!path.startsWith('/stats')) {
      this.driverRequests += 1
      this.driverBytes += Buffer.byteLength(text)
    }
    return JSON.parse(text)
  }

  stats() {
    return this.request('GET', '/stats')
  }

  resetStats() {
    return this.request('POST', '/stats/reset')
  }

  /** Injects events into a room (POST /rooms/{room}/events); returns their ids. */
  async inject(room, body) {
    return (await this.request('POST', '/rooms/' + encodeURIComponent(room) + '/events', body)).ids
  }

  async stop() {
    await this.server?.stop()
  }
}
