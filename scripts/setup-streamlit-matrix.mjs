#!/usr/bin/env node
// Idempotent setup of the Streamlit version matrix: one venv per version pinned in
// test/streamlit/versions.json, at .venv-streamlit/<version>/, holding that exact
// Streamlit and this package (pip install streamlit==<version> -e python, so pip
// also checks the version against the package's declared range). The example
// server is not installed there: the matrix e2e runs it from the main .venv.
// pip runs only when the version, python/pyproject.toml or the interpreter
// changed since the last successful install (a stamp in each venv).
//
//   node scripts/setup-streamlit-matrix.mjs     # used by test/streamlit/matrix.e2e.test.ts
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT } from './setup-python.mjs'

export const VERSIONS_FILE = join(ROOT, 'test', 'streamlit', 'versions.json')
export const MATRIX_DIR = join(ROOT, '.venv-streamlit')

/** The pinned set: [{ version, frames }]. */
export function matrixVersions() {
  return JSON.parse(readFileSync(VERSIONS_FILE, 'utf8'))
}

export const matrixVenv = (version) => join(MATRIX_DIR, version)

function run(command, args) {
  console.log('$ ' + [command, ...args].join(' '))
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.error) throw new Error(command + ': ' + result.error.message)
  if (result.status !== 0) throw new Error(command + ' ' + args.join(' ') + ' exited with ' + result.status)
}

function fingerprint(version, python) {
  const hash = createHash('sha256')
  hash.update(version + '\0' + readFileSync(join(ROOT, 'python', 'pyproject.toml')) + '\0')
  const constraints = join(ROOT, 'test', 'streamlit', 'constraints', version + '.txt')
  if (existsSync(constraints)) hash.update(readFileSync(constraints))
  hash.update(spawnSync(python, ['-c', 'import sys; print(sys.version)'], { encoding: 'utf8' }).stdout || '')
  return hash.digest('hex')
}

/** Creates or updates the venv of one version; returns its bin directory. */
export function setupVersion(version) {
  const venv = matrixVenv(version)
  const python = join(venv, 'bin', 'python')
  if (!existsSync(python)) run(process.env.PYTHON || 'python3', ['-m', 'venv', venv])
  const stamp = join(venv, '.ws-bridge-setup')
  const wanted = fingerprint(version, python)
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) {
    console.log('[setup-streamlit-matrix] ' + version + ' is up to date')
    return join(venv, 'bin')
  }
  // The exact transitive versions this Streamlit was tested with, when recorded: a later
  // release of a dependency cannot change what an old Streamlit runs on.
  const constraints = join('test', 'streamlit', 'constraints', version + '.txt')
  const extra = existsSync(join(ROOT, constraints)) ? ['-c', constraints] : []
  // --no-compile: pip's up-front bytecode compilation is most of an install's time here, and a
  // test venv compiles only what streamlit run imports, on first use.
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-compile', ...extra, 'streamlit==' + version, '-e', 'python'])
  writeFileSync(stamp, wanted + '\n')
  console.log('[setup-streamlit-matrix] ' + version + ' ready')
  return join(venv, 'bin')
}

export function setupMatrix() {
  for (const { version } of matrixVersions()) setupVersion(version)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setupMatrix()
  } catch (err) {
    console.error('[setup-streamlit-matrix] ' + (err instanceof Error ? err.message : String(err)))
    process.exit(1)
  }
}
