#!/usr/bin/env node
// The release artifacts, as a user installs them: the npm tarball and the
// Python wheel with the built Streamlit component inside.
//
//   npm run pack                      # builds, then writes both into release/
//   node scripts/pack.mjs --out DIR   # into DIR instead
//   node scripts/pack.mjs --no-build  # packs the build already in the tree (the release tests
//                                     # use it after npm test's own build: one build, not three)
//
// release/ is git-ignored and outside the npm package's `files`, so a tarball
// never ships the previous one. The wheel is built from a copy of python/
// without its build leftovers: an in-place build reuses python/build/lib,
// where a file deleted from the source would live on and be packaged.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT, setupPython } from './setup-python.mjs'

export const RELEASE = join(ROOT, 'release')
/** What the wheel must carry of the frontend build (the iframe frame, its bundle, the v2 module). */
export const FRONTEND_FILES = ['index.html', 'component.js', 'v2.js']
const FRONTEND = join(ROOT, 'python', 'streamlit_ws_bridge', 'frontend', 'build')
const NPM_FILES = ['index.mjs', 'index.cjs', 'index.d.ts', 'ws-bridge.min.js']
const NOT_SOURCE = new Set(['build', 'dist', '__pycache__', '.pytest_cache'])

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

function missingBuild() {
  return [
    ...NPM_FILES.map((file) => join(ROOT, 'dist', file)),
    ...FRONTEND_FILES.map((file) => join(FRONTEND, file)),
  ].filter((file) => !existsSync(file))
}

function packNpm(out, build) {
  // Without --ignore-scripts, prepack runs `npm run build` first.
  const args = ['pack', '--pack-destination', out, ...(build ? [] : ['--ignore-scripts'])]
  run('npm', args, { env: { ...process.env, npm_config_loglevel: 'warn', npm_config_fund: 'false' }, stdio: ['ignore', 'ignore', 'inherit'] })
  return newest(out, /^streamlit-ws-bridge-.*\.tgz$/)
}

function buildWheel(python, out) {
  const scratch = mkdtempSync(join(tmpdir(), 'wsb-wheel-'))
  try {
    const project = join(scratch, 'python')
    cpSync(join(ROOT, 'python'), project, {
      recursive: true,
      filter: (source) => {
        const name = basename(source)
        // python/build and python/dist are leftovers; frontend/build is the frame, and needed.
        if (NOT_SOURCE.has(name) && basename(dirname(source)) !== 'frontend') return false
        return !name.endsWith('.egg-info')
      },
    })
    // The pinned setuptools of python/requirements.txt, from the venv: no download.
    run(python, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--disable-pip-version-check', '-q', project, '-w', out])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  const wheel = newest(out, /^streamlit_ws_bridge-.*\.whl$/)
  const listing = run(python, ['-m', 'zipfile', '-l', wheel], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).stdout
  const absent = FRONTEND_FILES.filter((file) => !listing.includes('streamlit_ws_bridge/frontend/build/' + file))
  if (absent.length) throw new Error(wheel + ' lacks the built frontend: ' + absent.join(', '))
  return wheel
}

/** Writes the tarball and the wheel into `out` (replacing earlier ones there); returns their paths. */
export function pack({ out = RELEASE, build = true } = {}) {
  mkdirSync(out, { recursive: true })
  for (const name of readdirSync(out)) {
    if (/^streamlit[-_]ws[-_]bridge-.*\.(tgz|whl)$/.test(name)) rmSync(join(out, name))
  }
  if (!build) {
    const missing = missingBuild()
    if (missing.length) throw new Error('--no-build, but the build is incomplete (run npm run build): ' + missing.join(', '))
  }
  const tarball = packNpm(out, build)
  const python = setupPython()
  const wheel = buildWheel(python, out)
  return { tarball, wheel }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--out')
  try {
    const { tarball, wheel } = pack({ out: at >= 0 ? resolve(args[at + 1]) : RELEASE, build: !args.includes('--no-build') })
    console.log('[pack] npm tarball: ' + tarball)
    console.log('[pack] Python wheel: ' + wheel)
  } catch (err) {
    console.error('[pack] ' + (err instanceof Error ? err.message : String(err)))
    process.exit(1)
  }
}
