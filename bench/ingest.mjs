// Row 1, ingest: N ~230-byte frames flooded into a Chromium page, three designs
// (bench/pages/feed.js): raw WebSocket, naive persistence (the stored array rewritten per message), the bridge.
// A message counts once delivered to the listener and, except for raw, in
// sessionStorage: for the bridge the clock stops at the first write of
// ws_messages_bench after the last delivery (its flushDelay, 50 ms, included).
// All three designs share one page (one Chromium with no DevTools client
// attached, see lib/browser.mjs) and take turns: R rounds of one flood each, the
// order rotating, 1 s of rest before each flood (quick: 0.3 s), after a warm-up flood of N/10
// each. The ratio is the median of the per-round ratios, so a busy moment of
// the machine hits both sides of a ratio alike.
import { runDetached } from './lib/browser.mjs'
import { logger, median, row } from './lib/common.mjs'
import { FeedServer } from './lib/feed-server.mjs'

const log = logger('ingest')
const VARIANTS = ['raw', 'bridge', 'naive']

export async function run({ quick }) {
  const n = quick ? 2000 : 100000
  const nNaive = quick ? 300 : 2000
  const rounds = quick ? 3 : 5
  const server = await new FeedServer().start()
  let report
  try {
    report = await runDetached(server, { variant: VARIANTS.join(','), auto: 'ingest', n, nNaive, rounds, rest: quick ? 300 : 1000 }, { timeoutMs: 900000 })
  } finally {
    await server.stop()
  }
  const runs = report.rounds
  for (const r of runs) {
    if (!r.storedOk) throw new Error(r.kind + ': sessionStorage does not hold the last 100 messages of flood ' + r.round)
    log(r.kind.padEnd(6), 'round', r.round + 1, '/', rounds, Math.round(r.rate), 'msg/s', '(' + r.n + ' in ' + r.ms.toFixed(1) + ' ms; last delivery at ' + r.deliveredMs.toFixed(1) + ' ms)')
  }
  const expected = Math.ceil(n / 10) + rounds * n
  if (report.counters.stored !== expected || report.counters.duplicates !== 0) throw new Error('bridge counters are off: ' + JSON.stringify(report.counters) + ', expected ' + expected + ' stored')
  const rates = (kind) => runs.filter((r) => r.kind === kind).map((r) => r.rate)
  const ratios = (kind) => runs.filter((r) => r.kind === kind).map((r) => r.rate / runs.find((x) => x.kind === 'raw' && x.round === r.round).rate)
  const raw = median(rates('raw'))
  const naive = median(rates('naive'))
  const bridge = median(rates('bridge'))
  const bridgeRatio = median(ratios('bridge'))
  const naiveRatio = median(ratios('naive'))
  const tail = median(runs.filter((r) => r.kind === 'bridge').map((r) => r.ms - r.deliveredMs))
  const detail = { n, nNaive, rounds, frameBytes: 230, runs, ratiosBridge: ratios('bridge'), ratiosNaive: ratios('naive') }
  const range = (xs) => Math.min(...xs).toFixed(2) + '–' + Math.max(...xs).toFixed(2) + '×'
  return [
    row({
      id: 'ingest.bridge', bench: 'ingest', what: 'msg/s delivered + persisted, bridge vs raw (' + rounds + ' floods of ' + n.toLocaleString('en-US') + ' × 230 B each, same page)',
      baseline: { label: 'raw', value: raw, unit: 'msg/s', digits: 0 }, ours: { label: 'bridge', value: bridge, unit: 'msg/s', digits: 0 },
      ratio: bridgeRatio, goal: '≥ 0.90× raw', pass: bridgeRatio >= 0.9,
      note: 'ratio = median of per-round ratios (range ' + range(ratios('bridge')) + '); the bridge clock stops at the sessionStorage write after the last delivery (median ' + tail.toFixed(1) + ' ms after it)',
      detail,
    }),
    row({
      id: 'ingest.naive', bench: 'ingest', what: 'msg/s, naive persistence (stored array rewritten per message) vs raw (' + nNaive.toLocaleString('en-US') + '-message floods; reference)',
      baseline: { label: 'raw', value: raw, unit: 'msg/s', digits: 0 }, ours: { label: 'naive', value: naive, unit: 'msg/s', digits: 0 },
      ratio: naiveRatio, goal: 'anchor 0.34×', pass: null,
    }),
    row({
      id: 'ingest.bridge-vs-naive', bench: 'ingest', what: 'msg/s, bridge vs naive persistence',
      baseline: { label: 'naive', value: naive, unit: 'msg/s', digits: 0 }, ours: { label: 'bridge', value: bridge, unit: 'msg/s', digits: 0 },
      ratio: bridge / naive, pass: null,
    }),
  ]
}
