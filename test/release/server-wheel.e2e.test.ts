// The room server's wheel (ws-bridge-server) as a stranger installs it: `pip install <wheel>`
// into a fresh venv in a temporary directory (no -e, no PYTHONPATH, nothing of the repository
// on its path), first alone, then with the `serve` extra. Alone it must import (mounting the
// router on your own app needs FastAPI only) and `python -m ws_bridge_server` must say which
// extra it lacks. With [serve], two servers from that venv must pass the repository's
// conformance suite: the bridge alone (`python -m ws_bridge_server`) and the FastAPI app
// README.md shows, run with the venv's `uvicorn`. pip may reuse its download cache, and the
// versions server/requirements.txt pins are the constraints (cache hits, no surprise
// upgrades); the venv is new every run.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Launched, launch, lineOf, startServer } from '../../scripts/harness/servers.mjs'
import { ROOT, checkBuilt, packInto, runIn, scratchDir } from './artifacts'

const REPO_PYTHON = join(ROOT, '.venv', 'bin', 'python')
const CONSTRAINTS = join(ROOT, 'server', 'requirements.txt')
// What a user's shell would not have pointing into this repository, nor choosing another store.
const CLEAN_ENV: NodeJS.ProcessEnv = {
  ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, VIRTUAL_ENV: undefined, PYTHONNOUSERSITE: '1',
  REDIS_URL: undefined, EVENT_LOG_PATH: undefined, REPLAY_LOG_SIZE: undefined, MAX_FRAME_BYTES: undefined, MAX_MSGS_PER_SEC: undefined,
}
const log = (line: string) => console.log('[release server wheel] ' + line)
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1) + ' s'

/**
 * README.md's server app (the ```python block right after the `<!-- server-app -->` line), plus
 * the publish endpoint the conformance suite publishes through (POST /rooms/{room}/events): a
 * test driver no real app should expose, hence not in the README.
 */
function readmeApp(): string {
  const match = /^<!-- server-app -->[ \t]*\n\s*```python\n([\s\S]*?)\n```/m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  if (!match) throw new Error('README.md has no ```python block right after a <!-- server-app --> line')
  log("README.md's server app: " + match[1].trim().split('\n').length + ' lines')
  return match[1] + '\n\nfrom ws_bridge_server import publish_router\napp.include_router(publish_router(bridge))\n'
}

type Started = Pick<Launched, 'output' | 'stop'> & { url: string }

/** Stops `launched` if `waiting` fails: a server that never got ready is still ours. */
async function readyOr(launched: Launched, waiting: Promise<string>): Promise<Started> {
  try {
    return { url: await waiting, output: launched.output, stop: launched.stop }
  } catch (err) {
    await launched.stop()
    throw err
  }
}

/** The repository's conformance suite against `url`, asynchronously: the server's pipes must keep draining. */
async function conformance(url: string): Promise<{ status: number | null; output: string; summary: string }> {
  const child = spawn(REPO_PYTHON, [
    '-m', 'pytest', 'server/conformance', '-q', '-p', 'no:cacheprovider', '--bridge-url', url,
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [status] = (await once(child, 'close')) as [number | null]
  const lines = output.trim().split('\n')
  return { status, output, summary: lines[lines.length - 1].replace(/^=+\s*|\s*=+$/g, '') }
}

/** Runs the suite against `server`, then stops it (two cores: the next server starts alone). */
async function expectConformant(what: string, server: Started) {
  const since = Date.now()
  const result = await conformance(server.url).finally(() => server.stop())
  log('conformance suite against ' + what + ' (' + server.url + '): ' + result.summary + ' (' + seconds(since) + ')')
  expect(result.status, result.output + '\n--- the server printed:\n' + server.output()).toBe(0)
  expect(result.summary).toMatch(/\d+ passed/)
  expect(result.summary).not.toMatch(/failed|error/)
}

function checkRepoVenv(): boolean {
  const ready = spawnSync(REPO_PYTHON, ['-c', 'import pytest, httpx, websockets'], { stdio: 'ignore' }).status === 0
  const hint = 'the conformance suite needs .venv (node scripts/setup-python.mjs)'
  if (!ready && process.env.CI) throw new Error('[release tests] ' + hint)
  if (!ready) console.warn('[release tests] server wheel skipped: ' + hint)
  return ready
}

/** pip install into the venv of `python`, run from `cwd` (outside the repository). */
const pipInstall = (cwd: string, python: string, what: string) =>
  runIn(cwd, python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-c', CONSTRAINTS, what], CLEAN_ENV)

/** Packs into `dir`/out, makes `dir`/venv and `dir`/app, and installs the server wheel alone. */
function freshInstall(dir: string): { wheel: string; appDir: string; python: string } {
  const wheel = packInto(join(dir, 'out')).serverWheel
  const appDir = join(dir, 'app')
  mkdirSync(appDir)
  const since = Date.now()
  runIn(appDir, process.env.PYTHON || 'python3', ['-m', 'venv', join(dir, 'venv')], CLEAN_ENV)
  const python = join(dir, 'venv', 'bin', 'python')
  pipInstall(appDir, python, wheel)
  log('fresh venv + pip install ' + wheel.split('/').pop() + ' (no extras): ' + seconds(since))
  return { wheel, appDir, python }
}

describe.skipIf(!checkBuilt('server wheel') || !checkRepoVenv())('the server wheel, installed in a fresh venv', () => {
  let dir = ''
  let wheel = ''
  let appDir = ''
  let python = ''
  const started: Launched[] = []

  beforeAll(() => {
    dir = scratchDir('wsb-release-server-')
    ;({ wheel, appDir, python } = freshInstall(dir))
  }, 180000)

  afterAll(async () => {
    await Promise.all(started.map((proc) => proc.stop()))
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60000)

  it('alone, it pulls in FastAPI only, and imports from the venv', () => {
    const freeze = runIn(appDir, python, ['-m', 'pip', 'freeze', '--all'], CLEAN_ENV).split('\n').filter(Boolean)
    const names = freeze.map((line) => line.split(/[=@ ]/)[0].toLowerCase())
    log(names.length + ' packages in the venv: ' + names.join(', '))
    expect(freeze.filter((line) => line.includes(ROOT) || line.startsWith('-e '))).toEqual([])
    expect(names).toContain('fastapi')
    for (const extra of ['uvicorn', 'websockets', 'redis']) expect(names).not.toContain(extra)
    const where = runIn(appDir, python, ['-c', 'import ws_bridge_server; from ws_bridge_server import Bridge, bridge_router, Settings; print(ws_bridge_server.__file__)'], CLEAN_ENV)
    expect(where.trim().startsWith(join(dir, 'venv', 'lib'))).toBe(true)
  })

  it('carries the repository LICENSE and server/README.md as its description', () => {
    const read = 'import importlib.metadata as m, json; d = m.distribution("ws-bridge-server"); '
      + 'print(json.dumps([d.read_text("licenses/LICENSE"), d.metadata.get_payload()]))'
    const [license, description] = JSON.parse(runIn(appDir, python, ['-c', read], CLEAN_ENV)) as [string | null, string]
    expect(license).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))
    expect(description.trim()).toBe(readFileSync(join(ROOT, 'server', 'README.md'), 'utf8').trim())
  })

  it('alone, python -m ws_bridge_server fails naming the serve extra, without a traceback', () => {
    const result = spawnSync(python, ['-m', 'ws_bridge_server', '--port', '0'], { cwd: appDir, env: CLEAN_ENV, encoding: 'utf8', timeout: 30000 })
    log('python -m ws_bridge_server without [serve]: exit ' + result.status + ', stderr: ' + result.stderr.trim())
    expect(result.status).not.toBe(0)
    expect(result.status).not.toBeNull()
    expect(result.stderr).toContain('ws-bridge-server[serve]')
    expect(result.stderr).not.toContain('Traceback')
  })

  describe('with the serve extra', () => {
    beforeAll(() => {
      const since = Date.now()
      pipInstall(appDir, python, wheel + '[serve]')
      log('pip install ' + wheel.split('/').pop() + '[serve]: ' + seconds(since))
    }, 120000)

    it('python -m ws_bridge_server --publish-endpoint passes the conformance suite', async () => {
      const server = await startServer([python, '-m', 'ws_bridge_server', '--publish-endpoint'],
        { name: 'python -m ws_bridge_server', cwd: appDir, env: CLEAN_ENV, onSpawn: (launched) => started.push(launched) })
      await expectConformant('python -m ws_bridge_server', server)
    }, 120000)

    it("README.md's server app, plus the publish endpoint, under the venv's uvicorn passes the conformance suite", async () => {
      writeFileSync(join(appDir, 'app.py'), readmeApp())
      const launched = launch([join(dir, 'venv', 'bin', 'uvicorn'), 'app:app', '--host', '127.0.0.1', '--port', '0'],
        { name: 'uvicorn app:app', cwd: appDir, env: CLEAN_ENV })
      started.push(launched)
      // uvicorn says where it listens on stderr; with --port 0 that is the port it got.
      const server = await readyOr(launched, lineOf(launched, /Uvicorn running on (http:\/\/127\.0\.0\.1:\d+)/, 60000, { anyStream: true }))
      await expectConformant("README.md's app under uvicorn", server)
    }, 120000)
  })
})
