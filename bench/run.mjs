#!/usr/bin/env node
// Benchmarks: each row measures ours against a baseline in the same run.
//
//   node bench/run.mjs                 full run → table on stdout, bench/results.json
//   node bench/run.mjs --quick         smoke run (CI) → bench/results.quick.json (git-ignored)
//   node bench/run.mjs --only ingest,size   some benchmarks; writes nothing unless --out FILE
//   node bench/run.mjs --markdown [FILE]    prints the table of a results file (default bench/results.json) as markdown
//   node bench/run.mjs --only cluster --merge bench/results.json   replaces only those benchmarks' rows in FILE
//
// Sets up what it needs, as `npm run demo` does: the Python venv (scripts/setup-python.mjs)
// and the bundles (npm run build). Exits non-zero when a benchmark breaks or
// cannot run here (no Chromium, say): none is skipped. A missed goal is reported
// in the table (MISS), not an error. Progress goes to stderr.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { setupPython } from '../scripts/setup-python.mjs'
import { BENCH, CHROMIUM, DIST, PYTHON, ROOT, otherBrowserRuns, row, valueText } from './lib/common.mjs'

const BENCHES = [
  { name: 'ingest', title: '1. Ingest' },
  { name: 'latency', title: '2. Latency' },
  { name: 'size', title: '3. Size' },
  { name: 'streamlit', title: '4. Streamlit pushed vs polled', python: true },
  { name: 'backend-load', title: '5. Backend load', python: true },
  { name: 'memory', title: '6. Memory' },
  { name: 'cluster', title: '7. Scaling out (Redis, 3 replicas, HAProxy)', python: true },
  { name: 'streamlit-startup', title: '8. Streamlit page open → first event, v2 vs iframe', python: true },
  { name: 'egress', title: '9. Redis egress per event (3 replicas, per-room vs global channel)', python: true },
  { name: 'fanout', title: '10. Fan-out: server CPU per delivery, one room (ours vs the bare Python loop and socket.io)', python: true },
]

function parseArgs(argv) {
  const args = { quick: false, only: null, out: null, markdown: null, merge: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') args.quick = true
    else if (a === '--only') args.only = argv[++i].split(',')
    else if (a.startsWith('--only=')) args.only = a.slice(7).split(',')
    else if (a === '--out') args.out = argv[++i]
    else if (a === '--merge') args.merge = argv[++i]
    else if (a === '--markdown') args.markdown = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : join(BENCH, 'results.json')
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n').replace(/^\/\/ ?/gm, ''))
      process.exit(0)
    } else throw new Error('unknown argument ' + a + ' (see --help)')
  }
  if (args.only) {
    const unknown = args.only.filter((n) => !BENCHES.some((b) => b.name === n))
    if (unknown.length) throw new Error('unknown benchmark ' + unknown.join(', ') + '; known: ' + BENCHES.map((b) => b.name).join(', '))
  }
  return args
}

const quiet = (cmd, argv) => {
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

function machine(mode) {
  const cpus = os.cpus()
  const chromium = existsSync(CHROMIUM) ? (quiet(CHROMIUM, ['--version']) || '').split('\n').pop() : null
  const commit = quiet('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])
  const dirty = quiet('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'examples/server', 'python/streamlit_ws_bridge'])
  return {
    date: new Date().toISOString(),
    mode,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 1e9),
    os: os.type() + ' ' + os.release() + ' ' + os.arch(),
    node: process.version,
    chromium,
    python: existsSync(PYTHON) ? quiet(PYTHON, ['--version']) : null,
    streamlit: existsSync(PYTHON) ? quiet(PYTHON, ['-c', 'import streamlit; print(streamlit.__version__)']) : null,
    commit: commit ? commit + (dirty ? ' (+ uncommitted changes in src/examples/python)' : '') : null,
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  }
}

/** dist/ is not in git: build it from a fresh clone; warn when src/ is newer than the bundles. */
function ensureBuilt(log) {
  const bundles = [DIST.script, DIST.esm, DIST.component]
  if (bundles.some((f) => !existsSync(f))) {
    log('dist/ is incomplete: running npm run build')
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
    if (result.status !== 0) throw new Error('npm run build failed')
    return
  }
  const oldest = Math.min(...bundles.map((f) => statSync(f).mtimeMs))
  const newer = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (statSync(path).mtimeMs > oldest) newer.push(relative(ROOT, path))
    }
  }
  walk(join(ROOT, 'src'))
  if (newer.length) log('warning: src/ changed after the last build (' + newer.slice(0, 3).join(', ') + (newer.length > 3 ? ', …' : '') + '): measuring the built dist/; run npm run build first to measure the sources')
}

const RESULT = { true: 'PASS', false: 'MISS', null: '—' }

export function table(rows, { markdown = false } = {}) {
  const head = ['#', 'measurement', 'baseline', 'ours', 'ratio', 'goal', 'result']
  const lines = rows.map((r) => [
    String(BENCHES.findIndex((b) => b.name === r.bench) + 1),
    r.what + (r.note && r.pass === null && !r.baseline ? ' — ' + r.note : ''),
    valueText(r.baseline),
    valueText(r.ours),
    r.ratioText || '—',
    r.goal || '—',
    r.error ? 'ERROR' : RESULT[String(r.pass)],
  ])
  const esc = (cell) => (markdown ? cell.replace(/\|/g, '\\|') : cell)
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const fmtLine = (cells) => '| ' + cells.map((c, i) => esc(c).padEnd(widths[i])).join(' | ') + ' |'
  return [fmtLine(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(fmtLine)].join('\n')
}

function notes(rows) {
  return rows
    .filter((r) => r.note && (r.baseline || r.error))
    .map((r) => '- ' + r.id + ': ' + r.note)
    .join('\n')
}

function machineLine(m) {
  return [
    m.cpu + ', ' + m.cores + ' cores, ' + m.memoryGB + ' GB', m.os, 'Node ' + m.node, m.chromium, m.python, m.streamlit && 'Streamlit ' + m.streamlit,
    'load average ' + m.loadAverageAtStart.join(' / ') + ' at start' + (m.loadAverageAtEnd ? ', ' + m.loadAverageAtEnd.join(' / ') + ' at end' : ''),
    m.mode + ' mode', m.date, m.commit && 'commit ' + m.commit,
  ].filter(Boolean).join(' · ')
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (args.markdown) {
    const saved = JSON.parse(readFileSync(args.markdown, 'utf8'))
    console.log(table(saved.rows, { markdown: true }))
    console.log('\nMachine: ' + machineLine(saved.machine))
    for (const part of saved.merged || []) console.log('\nRows of ' + part.benches.join(', ') + ' from `' + part.command + '`: ' + machineLine(part.machine))
    return 0
  }
  const log = (...a) => console.error('[bench]', ...a)
  const mode = args.quick ? 'quick' : 'full'
  const started = Date.now()
  const selected = BENCHES.filter((bench) => !args.only || args.only.includes(bench.name))
  // The example server and Streamlit run from .venv: create or update it, as npm run demo does.
  if (selected.some((bench) => bench.python)) setupPython({ toStderr: true })
  ensureBuilt(log)
  const others = otherBrowserRuns()
  if (others.length) log('warning: other Chromium/Streamlit processes are running (pids ' + others.slice(0, 5).join(' ') + '): expect noisy numbers')
  const info = machine(mode)
  log(mode, 'run on', info.cpu + ',', info.cores, 'cores, load', info.loadAverageAtStart.join(' '))

  const rows = []
  let broken = 0
  for (const bench of selected) {
    const t0 = Date.now()
    log('== ' + bench.title)
    try {
      const module = await import('./' + bench.name + '.mjs')
      rows.push(...(await module.run({ quick: args.quick })))
    } catch (err) {
      broken++
      log(bench.name + ' broke:', err && err.stack ? err.stack : err)
      rows.push({ ...row({ id: bench.name + '.error', bench: bench.name, what: bench.title + ': the benchmark failed', note: String(err && err.message ? err.message : err).split('\n')[0] }), error: true })
    }
    log('   ' + bench.name + ' took ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s')
  }
  info.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)))
  info.seconds = Math.round((Date.now() - started) / 1000)

  console.log(table(rows))
  const n = notes(rows)
  if (n) console.log('\nNotes:\n' + n)
  console.log('\nMachine: ' + machineLine(info) + ' · took ' + info.seconds + ' s')
  const missed = rows.filter((r) => r.pass === false)
  if (missed.length) console.log('Goals missed: ' + missed.map((r) => r.id).join(', '))
  if (broken) console.log('Not measured: ' + rows.filter((r) => r.error).map((r) => r.bench).join(', ') + ' (see Notes)')
  else if (!missed.length) console.log('Every goal met.')

  const out = args.out || (args.only ? null : join(BENCH, args.quick ? 'results.quick.json' : 'results.json'))
  const command = 'node bench/run.mjs' + (args.quick ? ' --quick' : '') + (args.only ? ' --only ' + args.only.join(',') : '')
  if (out) {
    writeFileSync(out, JSON.stringify({ machine: info, command, rows }, null, 2) + '\n')
    log('wrote', relative(process.cwd(), out) || out)
  }
  if (args.merge) {
    // The other benchmarks' rows (and the machine line of the run that made them) stay; ours replace our old ones.
    const saved = JSON.parse(readFileSync(args.merge, 'utf8'))
    const names = selected.map((b) => b.name)
    const order = (r) => BENCHES.findIndex((b) => b.name === r.bench)
    saved.rows = [...saved.rows.filter((r) => !names.includes(r.bench)), ...rows].sort((a, b) => order(a) - order(b))
    saved.merged = [...(saved.merged || []).filter((m) => !m.benches.every((n) => names.includes(n))), { benches: names, command, machine: info }]
    writeFileSync(args.merge, JSON.stringify(saved, null, 2) + '\n')
    log('merged', rows.length, 'rows into', relative(process.cwd(), args.merge) || args.merge)
  }
  if (broken) log(broken + ' benchmark(s) broke')
  return broken ? 1 : 0
}

// On a signal, exit through process.exit so the 'exit' hooks stop the browsers and servers we started.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143))

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('[bench]', err && err.stack ? err.stack : err)
    process.exit(2)
  },
)
