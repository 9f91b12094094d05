#!/usr/bin/env node
// Idempotent setup of the anywidget hosts: one venv per host set pinned in
// test/hosts/versions.json (JupyterLab with Voilà, marimo, Solara and Dash; oldest and newest),
// at .venv-hosts/<host>-<version>/, holding those exact versions and, once it exists,
// the host's own distribution (pip install <pins> -e widget, or -e dash_component for
// Dash, so pip also checks the pins against its declared ranges). The example server is not installed
// there: the host e2e runs it from the main .venv.
// pip runs only when the pins, the distribution's pyproject.toml (or its absence), the set's
// recorded constraints or the interpreter changed since the last successful install
// (a stamp in each venv).
//
//   node scripts/setup-hosts.mjs              # every set; used by test/hosts/*.e2e.test.ts
//   node scripts/setup-hosts.mjs marimo       # only the marimo sets
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT } from './setup-python.mjs'

export const VERSIONS_FILE = join(ROOT, 'test', 'hosts', 'versions.json')
export const HOSTS_DIR = join(ROOT, '.venv-hosts')
export const WIDGET_PROJECT = join(ROOT, 'widget', 'pyproject.toml')
/** The folder of each family's own distribution: the anywidget hosts share widget/. */
const PROJECTS = { dash: 'dash_component', gradio: 'gradio_component' }
/**
 * The families whose distribution has tests of its own that need the host, which the main .venv
 * does not hold: their venvs also install its [test] extra, and npm run test:python:hosts runs
 * <project>/tests there (scripts/test-host-packages.mjs).
 */
export const PACKAGE_TESTS = new Set(['dash', 'gradio'])
export const projectOf = (host) => PROJECTS[host] || 'widget'
const projectFile = (host) => join(ROOT, projectOf(host), 'pyproject.toml')
/** What pip installs of the family's distribution. */
const installSpec = (host) => projectOf(host) + (PACKAGE_TESTS.has(host) ? '[test]' : '')

/**
 * @typedef {object} HostSet
 * @property {'jupyter' | 'marimo' | 'dash' | 'solara' | 'gradio'} host
 * @property {string} name `<first package>-<its version>`: the venv's folder, the constraints file's name, the suites' label.
 * @property {Record<string, string>} pins package -> exact version
 * @property {string} bin the venv's bin directory
 */

/** The pinned sets, oldest first within each host. @returns {HostSet[]} */
export function hostSets() {
  /** @type {Record<'jupyter' | 'marimo' | 'dash' | 'solara' | 'gradio', Array<Record<string, string>>>} */
  const pinned = JSON.parse(readFileSync(VERSIONS_FILE, 'utf8'))
  return Object.entries(pinned).flatMap(([host, sets]) =>
    sets.map((pins) => {
      const [first, version] = Object.entries(pins)[0]
      const name = first + '-' + version
      return { host: /** @type {'jupyter' | 'marimo' | 'dash' | 'solara' | 'gradio'} */ (host), name, pins, bin: join(HOSTS_DIR, name, 'bin') }
    }),
  )
}

/** Whether widget/ (the ws-bridge-widget distribution) exists yet. */
export const widgetExists = () => existsSync(WIDGET_PROJECT)

const constraintsOf = (name) => join('test', 'hosts', 'constraints', name + '.txt')

function run(command, args) {
  console.log('$ ' + [command, ...args].join(' '))
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.error) throw new Error(command + ': ' + result.error.message)
  if (result.status !== 0) throw new Error(command + ' ' + args.join(' ') + ' exited with ' + result.status)
}

/** @param {HostSet} set @param {string} python */
function fingerprint(set, python) {
  const hash = createHash('sha256')
  hash.update(JSON.stringify(set.pins) + '\0' + installSpec(set.host) + '\0')
  hash.update(existsSync(projectFile(set.host)) ? readFileSync(projectFile(set.host)) : 'no widget yet')
  hash.update('\0')
  const constraints = join(ROOT, constraintsOf(set.name))
  if (existsSync(constraints)) hash.update(readFileSync(constraints))
  hash.update(spawnSync(python, ['-c', 'import sys; print(sys.version)'], { encoding: 'utf8' }).stdout || '')
  return hash.digest('hex')
}

/** Creates or updates the venv of one set; returns its bin directory. @param {HostSet} set */
export function setupHostSet(set) {
  const venv = join(HOSTS_DIR, set.name)
  const python = join(venv, 'bin', 'python')
  if (!existsSync(python)) run(process.env.PYTHON || 'python3', ['-m', 'venv', venv])
  const stamp = join(venv, '.ws-bridge-setup')
  const wanted = fingerprint(set, python)
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) {
    console.log('[setup-hosts] ' + set.name + ' is up to date')
    return set.bin
  }
  // The exact transitive versions this set was tested with, when recorded: a later release
  // of a dependency cannot change what an old host runs on.
  const constraints = constraintsOf(set.name)
  const extra = existsSync(join(ROOT, constraints)) ? ['-c', constraints] : []
  const pins = Object.entries(set.pins).map(([name, version]) => name + '==' + version)
  const widget = existsSync(projectFile(set.host)) ? ['-e', installSpec(set.host)] : []
  // --no-compile: bytecode compilation up front is most of an install's time; a test venv
  // compiles only what the host imports, on first use.
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-compile', ...extra, ...pins, ...widget])
  writeFileSync(stamp, wanted + '\n')
  console.log('[setup-hosts] ' + set.name + ' ready' + (widget.length ? '' : ' (without its distribution: ' + projectOf(set.host) + '/ does not exist yet)'))
  return set.bin
}

/** Sets up every set, or those of `host`. @param {string} [host] */
export function setupHosts(host) {
  const sets = hostSets().filter((set) => !host || set.host === host)
  if (!sets.length) throw new Error('no host set named ' + host + ' in ' + VERSIONS_FILE)
  for (const set of sets) setupHostSet(set)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setupHosts(process.argv[2])
  } catch (err) {
    console.error('[setup-hosts] ' + (err instanceof Error ? err.message : String(err)))
    process.exit(1)
  }
}
