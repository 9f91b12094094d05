// Row 2, latency: sequential echo round trips from a Chromium page, measured at
// delivery to the listener. One ~230-byte frame each way. The designs under
// comparison share one page and take turns, round trip by round trip (their
// order flipping each time), so both see the same machine at the same moment:
//   page A: raw WebSocket and the bridge;  page B: raw and naive persistence.
// The bridge's storage flush (every 50 ms while messages arrive) can land in
// either design's round trip: it shows in p99, not p50.
import { runDetached } from './lib/browser.mjs'
import { logger, percentile, row } from './lib/common.mjs'
import { FeedServer } from './lib/feed-server.mjs'

const log = logger('latency')

export async function run({ quick }) {
  const rounds = quick ? 1 : 3
  const k = quick ? 150 : 500
  const warm = 30
  const samples = { raw: [], bridge: [], naive: [], rawNaive: [] }
  const server = await new FeedServer().start()
  try {
    for (let round = 0; round < rounds; round++) {
      for (const pair of round % 2 ? ['raw,naive', 'raw,bridge'] : ['raw,bridge', 'raw,naive']) {
        const result = await runDetached(server, { variant: pair, auto: 'echo', k, warm }, { timeoutMs: 180000 })
        const other = pair.split(',')[1]
        if (result.raw.length !== k || result[other].length !== k) throw new Error(pair + ': missing round trips')
        samples[other === 'bridge' ? 'raw' : 'rawNaive'].push(...result.raw)
        samples[other].push(...result[other])
        log(pair.padEnd(10), 'round', round + 1, '/', rounds, 'p50 raw', percentile(result.raw, 50).toFixed(3), 'ms,', other, percentile(result[other], 50).toFixed(3), 'ms')
      }
    }
  } finally {
    await server.stop()
  }
  const p = (variant, q) => percentile(samples[variant], q)
  const count = samples.raw.length
  const detail = {
    roundTrips: count,
    warmUp: warm,
    rounds,
    ms: Object.fromEntries(Object.keys(samples).map((v) => [v, { p50: p(v, 50), p90: p(v, 90), p99: p(v, 99), max: Math.max(...samples[v]) }])),
  }
  const delta = p('bridge', 50) - p('raw', 50)
  const ms = (value, label) => ({ label, value, unit: 'ms', digits: 3 })
  return [
    row({
      id: 'latency.p50', bench: 'latency', what: 'echo round trip p50, bridge vs raw, same page, alternating (' + count.toLocaleString('en-US') + ' round trips each)',
      baseline: ms(p('raw', 50), 'raw'), ours: ms(p('bridge', 50), 'bridge'),
      ratioText: (delta >= 0 ? '+' : '') + delta.toFixed(3) + ' ms', ratio: p('bridge', 50) / p('raw', 50),
      goal: '≤ raw + 0.2 ms', pass: delta <= 0.2, detail,
    }),
    row({
      id: 'latency.p99', bench: 'latency', what: 'echo round trip p99, bridge vs raw',
      baseline: ms(p('raw', 99), 'raw'), ours: ms(p('bridge', 99), 'bridge'),
      ratioText: (p('bridge', 99) - p('raw', 99) >= 0 ? '+' : '') + (p('bridge', 99) - p('raw', 99)).toFixed(3) + ' ms',
      ratio: p('bridge', 99) / p('raw', 99), pass: null,
    }),
    row({
      id: 'latency.naive', bench: 'latency', what: 'echo round trip p50, naive persistence vs raw (reference)',
      baseline: ms(p('rawNaive', 50), 'raw'), ours: ms(p('naive', 50), 'naive'),
      ratioText: '+' + (p('naive', 50) - p('rawNaive', 50)).toFixed(3) + ' ms', ratio: p('naive', 50) / p('rawNaive', 50),
      goal: 'anchor 1.8–2.3 ms', pass: null,
    }),
  ]
}
