#!/usr/bin/env node
// Idempotent Python setup: .venv at the repository root (python3 -m venv) with
// the pinned requirements of the room server module, the Streamlit package and the widget,
// plus the packages themselves (pip install -e server -e python -e widget). pip runs only
// when their requirement or project files changed since the last successful
// install (a stamp in .venv).
//
//   node scripts/setup-python.mjs          # used by scripts/demo.mjs, bench/run.mjs and the tests
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const VENV = join(ROOT, '.venv')
export const VENV_PYTHON = join(VENV, 'bin', 'python')
const INPUTS = [
  'server/requirements.txt', 'server/pyproject.toml', 'examples/server/requirements.txt',
  'python/requirements.txt', 'python/pyproject.toml', 'widget/requirements.txt', 'widget/pyproject.toml',
]
const STAMP = join(VENV, '.ws-bridge-setup')

function run(command, args, toStderr) {
  ;(toStderr ? console.error : console.log)('$ ' + [command, ...args].join(' '))
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', toStderr ? 2 : 'inherit', 'inherit'] })
  if (result.error) throw new Error(command + ': ' + result.error.message)
  if (result.status !== 0) throw new Error(command + ' ' + args.join(' ') + ' exited with ' + result.status)
}

function fingerprint() {
  const hash = createHash('sha256')
  for (const file of INPUTS) hash.update(file + '\0' + readFileSync(join(ROOT, file)) + '\0')
  const version = spawnSync(VENV_PYTHON, ['-c', 'import sys; print(sys.version)'], { encoding: 'utf8' })
  hash.update(version.stdout || '')
  return hash.digest('hex')
}

/**
 * Creates .venv if needed and installs what changed; returns the venv's python.
 * toStderr: all output on stderr, for callers whose stdout is a result (the benchmark table).
 */
export function setupPython({ toStderr = false } = {}) {
  const log = toStderr ? console.error : console.log
  if (!existsSync(VENV_PYTHON)) run(process.env.PYTHON || 'python3', ['-m', 'venv', VENV], toStderr)
  const wanted = fingerprint()
  const have = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : ''
  if (have === wanted) {
    log('[setup-python] .venv is up to date')
    return VENV_PYTHON
  }
  run(VENV_PYTHON, [
    '-m', 'pip', 'install', '--disable-pip-version-check',
    '-r', 'server/requirements.txt',
    '-r', 'python/requirements.txt',
    '-r', 'widget/requirements.txt',
    '-e', 'server',
    '-e', 'python',
    '-e', 'widget',
  ], toStderr)
  writeFileSync(STAMP, wanted + '\n')
  log('[setup-python] .venv ready')
  return VENV_PYTHON
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setupPython()
  } catch (err) {
    console.error('[setup-python] ' + (err instanceof Error ? err.message : String(err)))
    process.exit(1)
  }
}
