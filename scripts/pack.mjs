#!/usr/bin/env node
// The release artifacts, as a user installs them: the npm tarball, the
// Python wheel with the built Streamlit component inside, the anywidget
// wheel (ws-bridge-widget, widget/), the Dash wheel (ws-bridge-dash,
// dash_component/) and the Gradio wheel (ws-bridge-gradio, gradio_component/),
// each with its built script inside, and the room server's wheel
// (ws-bridge-server, server/):
//
//   release/streamlit-ws-bridge-<version>.tgz
//   release/streamlit_ws_bridge-<version>-py3-none-any.whl
//   release/ws_bridge_widget-<version>-py3-none-any.whl
//   release/ws_bridge_dash-<version>-py3-none-any.whl
//   release/ws_bridge_gradio-<version>-py3-none-any.whl
//   release/ws_bridge_server-<version>-py3-none-any.whl
//
//   npm run pack                      # builds, then writes all six into release/
//   node scripts/pack.mjs --out DIR   # into DIR instead
//   node scripts/pack.mjs --no-build  # packs the build already in the tree (the release tests
//                                     # use it after npm test's own build: one build, not three)
//
// release/ is git-ignored and outside the npm package's `files`, so a tarball
// never ships the previous one. Each wheel is built from a copy of its
// project (python/, server/) without build leftovers: an in-place build reuses
// <project>/build/lib, where a file deleted from the source would live on and
// be packaged.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT, setupPython } from './setup-python.mjs'

export const RELEASE = join(ROOT, 'release')
/** What the wheel must carry of the frontend build (the iframe frame, its bundle, the v2 module). */
export const FRONTEND_FILES = ['index.html', 'component.js', 'v2.js']
const FRONTEND = join(ROOT, 'python', 'streamlit_ws_bridge', 'frontend', 'build')
/** The anywidget module the widget's wheel must carry. */
export const WIDGET_MODULE = join('ws_bridge_widget', 'static', 'widget.js')
/** The script the Dash wheel must carry (Dash serves it from the package). */
export const DASH_MODULE = join('ws_bridge_dash', 'static', 'bridge.js')
/** The script the Gradio wheel must carry (each component's js_on_load runs it). */
export const GRADIO_MODULE = join('ws_bridge_gradio', 'static', 'bridge.js')
const NPM_FILES = ['index.mjs', 'index.cjs', 'index.d.ts', 'ws-bridge.min.js']
const NOT_SOURCE = new Set(['build', 'dist', '__pycache__', '.pytest_cache'])
/** The release files pack() writes (and replaces in its output directory). */
export const RELEASE_FILES = [
  /^streamlit-ws-bridge-.*\.tgz$/,
  /^streamlit_ws_bridge-.*\.whl$/,
  /^ws_bridge_widget-.*\.whl$/,
  /^ws_bridge_dash-.*\.whl$/,
  /^ws_bridge_gradio-.*\.whl$/,
  /^ws_bridge_server-.*\.whl$/,
]

function run(command, args, options = {}) {
  console.log('$ ' + [command, ...args].join(' '))
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], ...options })
  if (result.error) throw new Error(command + ': ' + result.error.message)
  if (result.status !== 0) throw new Error([command, ...args].join(' ') + ' exited with ' + result.status)
  return result
}

function newest(dir, pattern) {
  const found = readdirSync(dir).filter((name) => pattern.test(name))
  if (found.length !== 1) throw new Error('expected one ' + pattern + ' in ' + dir + ', found ' + JSON.stringify(found))
  return join(dir, found[0])
}

/** The built files pack() needs and does not find (absolute paths); empty when the build is complete. */
export function missingBuild() {
  return [
    ...NPM_FILES.map((file) => join(ROOT, 'dist', file)),
    ...FRONTEND_FILES.map((file) => join(FRONTEND, file)),
    join(ROOT, 'widget', WIDGET_MODULE),
    join(ROOT, 'dash_component', DASH_MODULE),
    join(ROOT, 'gradio_component', GRADIO_MODULE),
  ].filter((file) => !existsSync(file))
}

function packNpm(out, build) {
  // Without --ignore-scripts, prepack runs `npm run build` first.
  const args = ['pack', '--pack-destination', out, ...(build ? [] : ['--ignore-scripts'])]
  run('npm', args, { env: { ...process.env, npm_config_loglevel: 'warn', npm_config_fund: 'false' }, stdio: ['ignore', 'ignore', 'inherit'] })
  return newest(out, /^streamlit-ws-bridge-.*\.tgz$/)
}

/**
 * Builds the wheel of ROOT/<dir> from a scratch copy without build leftovers; `check(copy, wheel)`
 * sees the copy before it is removed. Returns the one wheel matching `pattern` in `out`.
 */
function wheelOf(python, dir, out, pattern, check = () => {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'wsb-wheel-'))
  try {
    const project = join(scratch, dir)
    cpSync(join(ROOT, dir), project, {
      recursive: true,
      filter: (source) => {
        const name = basename(source)
        // build/ and dist/ are leftovers; python/'s frontend/build is the frame, and needed.
        if (NOT_SOURCE.has(name) && basename(dirname(source)) !== 'frontend') return false
        return !name.endsWith('.egg-info')
      },
    })
    // The pinned setuptools of python/requirements.txt, from the venv: no download.
    run(python, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--disable-pip-version-check', '-q', project, '-w', out])
    const wheel = newest(out, pattern)
    check(project, wheel)
    return wheel
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

const listWheel = (python, wheel) =>
  run(python, ['-m', 'zipfile', '-l', wheel], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).stdout

function buildWheel(python, out) {
  const wheel = wheelOf(python, 'python', out, /^streamlit_ws_bridge-.*\.whl$/)
  const listing = listWheel(python, wheel)
  const absent = FRONTEND_FILES.filter((file) => !listing.includes('streamlit_ws_bridge/frontend/build/' + file))
  if (absent.length) throw new Error(wheel + ' lacks the built frontend: ' + absent.join(', '))
  return wheel
}

/** A host's wheel (`project`, distribution file `name`-…), which must carry its built `module`. */
function buildHostWheel(python, out, project, name, module) {
  const wheel = wheelOf(python, project, out, new RegExp('^' + name + '-.*\\.whl$'))
  if (!listWheel(python, wheel).includes(module.split(sep).join('/'))) throw new Error(wheel + ' lacks the built module ' + module)
  return wheel
}

/** The package's files a wheel must carry: every module of every subpackage, and py.typed. */
function serverSources(project) {
  const top = join(project, 'ws_bridge_server')
  return readdirSync(top, { recursive: true })
    .map((name) => join(top, String(name)))
    .filter((file) => (file.endsWith('.py') || file.endsWith('py.typed')) && !file.includes(sep + '__pycache__' + sep) && statSync(file).isFile())
    .map((file) => relative(project, file).split(sep).join('/'))
}

function buildServerWheel(python, out) {
  return wheelOf(python, 'server', out, /^ws_bridge_server-.*\.whl$/, (project, wheel) => {
    // Package discovery is by pattern: a subpackage it does not find would be missing
    // from the wheel without an error, and only an install would show it.
    const listed = new Set(listWheel(python, wheel).split('\n').map((line) => line.split(/\s+/)[0]))
    const absent = serverSources(project).filter((file) => !listed.has(file))
    if (absent.length) throw new Error(wheel + ' lacks files of server/ws_bridge_server: ' + absent.join(', '))
  })
}

/** Writes the tarball and the five wheels into `out` (replacing earlier ones there); returns their paths. */
export function pack({ out = RELEASE, build = true } = {}) {
  mkdirSync(out, { recursive: true })
  for (const name of readdirSync(out)) {
    if (RELEASE_FILES.some((pattern) => pattern.test(name))) rmSync(join(out, name))
  }
  if (!build) {
    const missing = missingBuild()
    if (missing.length) throw new Error('--no-build, but the build is incomplete (run npm run build): ' + missing.join(', '))
  }
  const tarball = packNpm(out, build)
  const python = setupPython()
  const wheel = buildWheel(python, out)
  const widgetWheel = buildHostWheel(python, out, 'widget', 'ws_bridge_widget', WIDGET_MODULE)
  const dashWheel = buildHostWheel(python, out, 'dash_component', 'ws_bridge_dash', DASH_MODULE)
  const gradioWheel = buildHostWheel(python, out, 'gradio_component', 'ws_bridge_gradio', GRADIO_MODULE)
  const serverWheel = buildServerWheel(python, out)
  return { tarball, wheel, widgetWheel, dashWheel, gradioWheel, serverWheel }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--out')
  try {
    const { tarball, wheel, widgetWheel, dashWheel, gradioWheel, serverWheel } = pack({ out: at >= 0 ? resolve(args[at + 1]) : RELEASE, build: !args.includes('--no-build') })
    console.log('[pack] npm tarball: ' + tarball)
    console.log('[pack] Python wheel: ' + wheel)
    console.log('[pack] widget wheel: ' + widgetWheel)
    console.log('[pack] Dash wheel: ' + dashWheel)
    console.log('[pack] Gradio wheel: ' + gradioWheel)
    console.log('[pack] server wheel: ' + serverWheel)
  } catch (err) {
    console.error('[pack] ' + (err instanceof Error ? err.message : String(err)))
    process.exit(1)
  }
}
