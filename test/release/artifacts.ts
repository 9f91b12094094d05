// The release tests' common ground: the artifacts `npm run pack` makes, packed
// into a temporary directory outside the repository, and that directory.
// They pack the build npm test has just made (--no-build): the build itself is
// tested elsewhere, and one more full build per file would cost ~30 s each.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { missingBuild } from '../../scripts/pack.mjs'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface Artifacts {
  /** streamlit-ws-bridge-<version>.tgz */
  tarball: string
  /** streamlit_ws_bridge-<version>-py3-none-any.whl */
  wheel: string
  /** ws_bridge_widget-<version>-py3-none-any.whl (the anywidget, widget/) */
  widgetWheel: string
  /** ws_bridge_dash-<version>-py3-none-any.whl (the Dash component, dash_component/) */
  dashWheel: string
  /** ws_bridge_gradio-<version>-py3-none-any.whl (the Gradio component, gradio_component/) */
  gradioWheel: string
  /** ws_bridge_server-<version>-py3-none-any.whl (the room server, server/) */
  serverWheel: string
}

/** A fresh directory under the system's temp dir (its real path: /tmp may be a link). */
export const scratchDir = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)))

/** For describe.skipIf: without a build, skip with a warning, except in CI, where npm test built first. */
export function checkBuilt(suite: string): boolean {
  const missing = missingBuild()
  if (!missing.length) return true
  const hint = 'run npm run build first (npm test does): missing ' + missing.join(', ')
  if (process.env.CI) throw new Error('[release tests] ' + suite + ': ' + hint)
  console.warn('[release tests] skipping ' + suite + ': ' + hint)
  return false
}

/**
 * For describe.skipIf: whether the repository's .venv can run the example server (FastAPI); without
 * it, skip `suite` with a warning, except in CI, where npm test set it up first.
 */
export function checkExampleServerVenv(suite: string): boolean {
  try {
    runIn(ROOT, join(ROOT, '.venv', 'bin', 'python'), ['-c', 'import fastapi'])
    return true
  } catch {
    const hint = 'the example server needs .venv (node scripts/setup-python.mjs)'
    if (process.env.CI) throw new Error('[release tests] ' + suite + ': ' + hint)
    console.warn('[release tests] skipping ' + suite + ': ' + hint)
    return false
  }
}

/** Runs scripts/pack.mjs into `out` and returns the six artifacts it reports. */
export function packInto(out: string): Artifacts {
  mkdirSync(out, { recursive: true })
  const printed = execFileSync('node', [join(ROOT, 'scripts', 'pack.mjs'), '--no-build', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const tarball = /\[pack\] npm tarball: (.+)/.exec(printed)
  const wheel = /\[pack\] Python wheel: (.+)/.exec(printed)
  const widgetWheel = /\[pack\] widget wheel: (.+)/.exec(printed)
  const dashWheel = /\[pack\] Dash wheel: (.+)/.exec(printed)
  const gradioWheel = /\[pack\] Gradio wheel: (.+)/.exec(printed)
  const serverWheel = /\[pack\] server wheel: (.+)/.exec(printed)
  if (!tarball || !wheel || !widgetWheel || !dashWheel || !gradioWheel || !serverWheel) throw new Error('scripts/pack.mjs did not report all six artifacts:\n' + printed)
  const path = (match: RegExpExecArray) => match[1].trim()
  return { tarball: path(tarball), wheel: path(wheel), widgetWheel: path(widgetWheel), dashWheel: path(dashWheel), gradioWheel: path(gradioWheel), serverWheel: path(serverWheel) }
}

/** Runs a command in `cwd`, returning its stdout; a failure carries its stderr. */
export function runIn(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(command + ' ' + args.join(' ') + ' failed in ' + cwd + ': ' + failed.message + '\n' + (failed.stdout || '') + (failed.stderr || ''))
  }
}
