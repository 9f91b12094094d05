// Row 10, fan-out: the server's CPU per delivery, one room of N clients at a fixed event
// rate, ours against two baselines in the same run:
//   limit: the least a Python server on our stack can do (lib/fanout_limit.py): the same
//          uvicorn, the same frame builder and transport lookup, and nothing else;
//   peer:  a Node socket.io server broadcasting with io.to(room).emit (lib/fanout-peer.mjs).
// The three run side by side, each with its N sockets open (lib/fanout-clients.mjs, raw `ws`
// clients in WORKERS processes that only count event frames). Each event is one HTTP POST to
// the server measured, every 1/rate s; a window ends when every socket got every event. The
// server process's CPU time (/proc/<pid>/stat) over the window, divided by the frames the
// clients got, is its CPU per delivery. Windows take turns, the order rotating each round, so a
// busy moment of the machine hits all three alike; the median of the rounds is reported.
// Every frame is the same size: the baselines' events are padded to the bytes of ours's frame.
import { join } from 'node:path'
import { testServerEnv } from '../scripts/harness/access.mjs'
import { bareModule, startServer } from '../scripts/harness/servers.mjs'
import { ClientPool } from './lib/client-pool.mjs'
import { BENCH, PYTHON, cpuSeconds, fmt, logger, median, paced, postJson, row, until } from './lib/common.mjs'

const log = logger('fanout')
const WORKERS = 2
const PAD = 'x'.repeat(120) // a game event's size: the frames come to ~200 bytes, as in rows 5 and 7
const SERVERS = [
  { key: 'ours', label: 'ours', argv: bareModule({ python: PYTHON, publishEndpoint: true }), path: '/rooms/bench/events', frameExtra: 0 },
  { key: 'limit', label: 'limit', argv: [PYTHON, join(BENCH, 'lib', 'fanout_limit.py')], path: '/publish', frameExtra: 0 },
  // socket.io's frame is 42["fan",<event>]: 10 bytes around the event.
  { key: 'peer', label: 'socket.io', argv: [process.execPath, join(BENCH, 'lib', 'fanout-peer.mjs')], path: '/publish', frameExtra: 10, sio: true },
]
const SIZES = { quick: [{ clients: 200, rate: 50, seconds: 3, rounds: 1 }],
  // 5,000 at 10 events/s: the same 50,000 deliveries/s as 1,000 at 50, which one process
  // keeps up with here; 5,000 at 50 saturates both cores, and then CPU per delivery means nothing.
  full: [{ clients: 1000, rate: 50, seconds: 8, rounds: 3 }, { clients: 5000, rate: 10, seconds: 8, rounds: 3 }] }

/** The body of event k for `server`: padded so that its frame has `frameBytes` bytes (ours: as it is). */
function body(server, k, frameBytes) {
  const text = JSON.stringify({ type: 'fan', k, text: PAD })
  if (!frameBytes) return text
  const extra = Math.max(0, frameBytes - server.frameExtra - text.length)
  return JSON.stringify({ type: 'fan', k, text: PAD + 'y'.repeat(extra) })
}

const sum = (answers, key) => answers.reduce((n, a) => n + a[key], 0)

/** Publishes `events` events at `rate`/s and waits until every socket has them; the server's CPU seconds. */
async function window(server, pool, { clients, rate }, events, frameBytes) {
  await pool.call(() => ({ cmd: 'reset' }), 10000)
  const cpu0 = cpuSeconds(server.pid)
  const clientCpu0 = pool.cpu()
  const t0 = performance.now()
  await paced(events, rate, (k) => postJson(server.url + server.path, body(server, k, frameBytes)))
  let counts
  await until(async () => {
    counts = await pool.call(() => ({ cmd: 'count' }), 10000)
    return sum(counts, 'delivered') >= clients * events
  }, 60000, server.label + ': every socket to get its ' + events + ' events', 200)
  const cpu = cpuSeconds(server.pid) - cpu0
  const delivered = sum(counts, 'delivered')
  if (delivered !== clients * events || Math.min(...counts.map((c) => c.least)) !== events) {
    throw new Error(server.label + ': ' + delivered + ' deliveries, ' + clients * events + ' expected, each socket ' + events)
  }
  const clientCpu = pool.cpu().reduce((n, c, i) => n + c - clientCpu0[i], 0)
  return { cpu, delivered, perDeliveryUs: (cpu / delivered) * 1e6, clientCpu, frameBytes: Math.max(...counts.map((c) => c.frameBytes)), seconds: (performance.now() - t0) / 1000 }
}

/** The three servers with `size.clients` sockets each; `size.rounds` windows each, in turns. */
async function measure(size) {
  const pools = []
  const started = []
  try {
    for (const server of SERVERS) {
      const s = await startServer(server.argv, { name: 'the ' + server.label + ' server', env: testServerEnv() })
      started.push(s)
      const pool = new ClientPool(WORKERS, join(BENCH, 'lib', 'fanout-clients.mjs'))
      pools.push(pool)
      const share = size.clients / WORKERS
      await pool.call((i) => ({ cmd: 'connect', kind: server.sio ? 'sio' : server.key, base: s.url, count: share, first: i * share }), 120000)
      log(server.label + ': ' + size.clients + ' sockets open')
    }
    const live = SERVERS.map((server, i) => ({ ...server, ...started[i], pool: pools[i] }))
    const warm = Math.ceil(size.rate / 2)
    const first = await window(live[0], live[0].pool, size, warm, 0) // ours first: its frame sets the size
    for (const server of live.slice(1)) await window(server, server.pool, size, warm, first.frameBytes)
    const samples = Object.fromEntries(live.map((s) => [s.key, []]))
    const events = size.rate * size.seconds
    for (let r = 0; r < size.rounds; r++) {
      for (let j = 0; j < live.length; j++) {
        const server = live[(r + j) % live.length]
        const w = await window(server, server.pool, size, events, server.key === 'ours' ? 0 : first.frameBytes)
        log(`${size.clients} clients, round ${r + 1}: ${server.label} ${fmt(w.perDeliveryUs)} µs per delivery (${fmt(w.cpu)} s CPU, clients ${fmt(w.clientCpu)} s, ${w.frameBytes} B frames)`)
        samples[server.key].push(w)
      }
    }
    return samples
  } finally {
    await Promise.all(pools.map((p) => p.close()))
    await Promise.all(started.map((s) => s.stop()))
  }
}

function rows(size, samples) {
  const us = (key) => median(samples[key].map((w) => w.perDeliveryUs))
  const ours = us('ours')
  const limit = us('limit')
  const peer = us('peer')
  const clientShare = median(samples.ours.map((w) => w.clientCpu / w.seconds))
  const setup = `one room of ${fmt(size.clients)} clients, ${size.rate} events/s for ${size.seconds} s`
  const note = `median of ${size.rounds} round${size.rounds > 1 ? 's' : ''}; frames ${samples.ours[0].frameBytes} B (ours), ${samples.limit[0].frameBytes} B (limit), ` +
    `${samples.peer[0].frameBytes} B (socket.io); the ${WORKERS} client processes used ${fmt(clientShare)} cores during ours's windows`
  const detail = { ...size, samples }
  const atGoal = size.clients <= 1000
  return [
    row({
      id: `fanout-limit-${size.clients}`, bench: 'fanout',
      what: `server CPU per delivery, ${setup}: the bare Python loop (frame built once, transport.write, same uvicorn) vs ours`,
      baseline: { label: 'limit', value: limit, unit: 'µs' }, ours: { label: 'ours', value: ours, unit: 'µs' },
      ratio: ours / limit, goal: atGoal ? '≤ 1.2× the limit' : null, pass: atGoal ? ours / limit <= 1.2 : null, note, detail,
    }),
    row({
      id: `fanout-peer-${size.clients}`, bench: 'fanout',
      what: `server CPU per delivery, ${setup}: socket.io (io.to(room).emit) vs ours`,
      baseline: { label: 'socket.io', value: peer, unit: 'µs' }, ours: { label: 'ours', value: ours, unit: 'µs' },
      ratio: ours / peer, goal: '< 1× socket.io', pass: ours < peer,
    }),
  ]
}

export async function run({ quick }) {
  const out = []
  for (const size of SIZES[quick ? 'quick' : 'full']) {
    log(`${size.clients} clients × 3 servers, ${size.rate} events/s`)
    out.push(...rows(size, await measure(size)))
  }
  return out
}
