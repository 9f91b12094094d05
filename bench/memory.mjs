// Row 6, memory: a long stream through one bridge, in steps of a tenth; after
// each step (everything delivered and written) garbage is collected and the JS
// heap and the stored size are read. The first step is the warm-up; every later
// sample must stay within ±10 % of it.
//   Node mode: 10^6 messages (quick: 10^5), dist/index.mjs + ws + memory storage,
//              in a child process run with --expose-gc.
//   Chromium:  2·10^5 messages (quick: 2·10^4) through dist/ws-bridge.min.js
//              with sessionStorage (fewer: a page ingests a few thousand
//              messages/s here, see the ingest row).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { runDetached } from './lib/browser.mjs'
import { BENCH, CHROMIUM, haveChromium, logger, row, track, withTimeout } from './lib/common.mjs'
import { FeedServer } from './lib/feed-server.mjs'

const log = logger('memory')
const STEPS = 10

async function nodeMode(server, total) {
  const child = spawn(process.execPath, ['--expose-gc', join(BENCH, 'lib', 'memory-client.mjs'), 'ws://127.0.0.1:' + server.port + '/ws', String(total), String(STEPS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)))
  const code = await withTimeout(new Promise((resolve) => child.on('exit', resolve)), 600000, 'the Node memory client').catch((e) => {
    child.kill('SIGKILL')
    throw e
  })
  if (code !== 0) throw new Error('memory client exited ' + code + ': ' + err)
  return JSON.parse(out.trim().split('\n').pop())
}

function verdict(samples, key) {
  const warm = samples[0][key]
  const end = samples[samples.length - 1][key]
  const worst = samples.slice(1).reduce((w, s) => (Math.abs(s[key] / warm - 1) > Math.abs(w - 1) ? s[key] / warm : w), 1)
  return { warm, end, change: end / warm - 1, worst: worst - 1, pass: samples.slice(1).every((s) => Math.abs(s[key] / warm - 1) <= 0.1) }
}

const pct = (x) => (x >= 0 ? '+' : '') + (x * 100).toFixed(1) + ' %'

function rows(mode, total, result, storageLabel) {
  const { samples } = result
  const heap = verdict(samples, 'heapUsed')
  const stored = verdict(samples, 'storedChars')
  const sup = (digits) => [...digits].map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[d]).join('')
  const [mantissa, exponent] = total.toExponential(0).split('e+')
  const count = (mantissa === '1' ? '' : mantissa + '·') + '10' + sup(exponent)
  const perMessage = samples[samples.length - 1].ms / total
  return [
    row({
      id: 'memory.' + mode + '.heap', bench: 'memory', what: mode + ': JS heap after GC, warm-up (' + samples[0].messages.toLocaleString('en-US') + ' msgs) vs end (' + count + ' msgs)',
      baseline: { label: 'warm-up', value: heap.warm / 1e6, unit: 'MB' }, ours: { label: 'end', value: heap.end / 1e6, unit: 'MB' },
      ratio: heap.end / heap.warm, ratioText: pct(heap.change), goal: 'within ±10 %', pass: heap.pass,
      note: 'largest deviation over ' + samples.length + ' samples ' + pct(heap.worst) + '; ' + (perMessage * 1000).toFixed(1) + ' µs/message end to end',
      detail: { total, steps: STEPS, samples, counters: result.counters, kept: result.kept },
    }),
    row({
      id: 'memory.' + mode + '.storage', bench: 'memory', what: mode + ': ' + storageLabel + ' size, warm-up vs end',
      baseline: { label: 'warm-up', value: stored.warm / 1000, unit: 'k chars' }, ours: { label: 'end', value: stored.end / 1000, unit: 'k chars' },
      ratio: stored.end / stored.warm, ratioText: pct(stored.change), goal: 'within ±10 %', pass: stored.pass,
      note: result.kept + ' messages kept; counters ' + JSON.stringify(result.counters),
    }),
  ]
}

export async function run({ quick }) {
  const nodeTotal = quick ? 1e5 : 1e6
  const pageTotal = quick ? 1e4 : 2e5
  // Its Chromium half is part of the row: without Chromium the benchmark fails, it does not shrink.
  if (!haveChromium()) throw new Error('cannot run: no Chromium at ' + CHROMIUM + ' (set CHROMIUM_PATH)')
  const server = await new FeedServer().start()
  const out = []
  try {
    log('Node mode:', nodeTotal, 'messages')
    const node = await nodeMode(server, nodeTotal)
    if (node.counters.stored !== nodeTotal) throw new Error('Node mode stored ' + node.counters.stored + ' of ' + nodeTotal)
    out.push(...rows('Node', nodeTotal, node, 'memory storage'))
    log('Chromium:', pageTotal, 'messages')
    const page = await runDetached(
      server,
      { variant: 'bridge', auto: 'memory', total: pageTotal, steps: STEPS },
      { timeoutMs: 900000, flags: ['--js-flags=--expose-gc', '--enable-precise-memory-info'] },
    )
    if (page.counters.stored !== pageTotal) throw new Error('Chromium stored ' + page.counters.stored + ' of ' + pageTotal)
    out.push(...rows('Chromium', pageTotal, page, 'sessionStorage'))
  } finally {
    await server.stop()
  }
  return out
}
