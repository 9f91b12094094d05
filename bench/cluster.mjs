// Row 7, scaling out: 3 replicas of the example server on the Redis store behind
// HAProxy (scripts/cluster.mjs, as `npm run demo -- --replicas 3` starts them)
// against one process on the memory store (the `npm run demo` default), same run.
//   capacity: 3,000 Node bridges (quick: 300) in rooms of 10, each player sending a
//             chat message up its own socket about every 10 s (one per room per
//             second, ~300 events/s in all) for 30 s (quick: 5 s). Delivery latency
//             is the client's receive time minus the event's server `ts` (one clock);
//             every client must get every event of its room once, in order.
//             Memory per connection: each server's RSS before the clients connect
//             and with them connected, over its open sockets.
//   probe:    publish to clients on another replica: per room a publisher on
//             replica 1, 3 receivers on each replica (direct URLs), no other load;
//             on one process, the same publisher with 9 receivers.
// The bridges run in 2 child processes (lib/cluster-clients.mjs): 3,000 in one Node
// process would make the client the bottleneck on 2 cores.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { redisCli, startCluster } from '../scripts/cluster.mjs'
import { adminHeaders, testServerEnv } from '../scripts/harness/access.mjs'
import { ClientPool } from './lib/client-pool.mjs'
import { PYTHON, cpuSeconds, fmt, logger, percentile, row, sleep, until } from './lib/common.mjs'
import { ExampleServer } from './lib/example-server.mjs'

const log = logger('cluster')
const PER_ROOM = 10
const WORKERS = 2
const GOAL_MS = 100

const rssKB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'))[1])
const openSockets = async (server) => (await (await fetch(server.url + '/stats', { headers: adminHeaders() })).json()).ws_connections_open
const split = (list, n) => Array.from({ length: n }, (_, w) => list.filter((_, i) => i % n === w))
const merge = (answers, key) => answers.reduce((all, a) => ({ ...all, ...a[key] }), {})

function addTallies(answers) {
  const tally = {}
  for (const a of answers) for (const [k, v] of Object.entries(a.tally)) tally[k] = (tally[k] || 0) + v
  return { ...tally, problemClients: answers.reduce((n, a) => n + a.problemClients, 0), problems: answers.flatMap((a) => a.problems).slice(0, 20) }
}

function groupLatencies(answers, names) {
  const out = { fromTs: [], fromSend: [] }
  for (const a of answers) for (const name of names) for (const key of ['fromTs', 'fromSend']) out[key].push(...(a.groups[name]?.[key] || []))
  return out
}
const stats = (values) => ({ n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) })

/** Connects `specs` (split by room over the pool) and waits until `servers` count `specs.length` sockets. */
async function connectAll(pool, specs, servers) {
  const rooms = [...new Set(specs.map((s) => s.room))]
  const byWorker = split(rooms, WORKERS).map((mine) => specs.filter((s) => mine.includes(s.room)))
  const t0 = performance.now()
  await pool.call((w) => ({ cmd: 'connect', clients: byWorker[w] }), 180000)
  await until(async () => (await Promise.all(servers.map(openSockets))).reduce((a, b) => a + b, 0) >= specs.length, 30000, specs.length + ' sockets open')
  const seconds = (performance.now() - t0) / 1000
  await sleep(2000) // the join storm (a player_list event per join) is over
  return { rooms: split(rooms, WORKERS), seconds }
}

/** Publishes for `seconds` from every worker's own rooms, then collects what every client got. */
async function publishAndCollect(pool, rooms, seconds, perRoomPerSecond, from) {
  const sent = merge(await pool.call((w) => ({ cmd: 'publish', seconds, rooms: rooms[w], perRoomPerSecond, from }), seconds * 1000 + 30000), 'sent')
  return pool.call(() => ({ cmd: 'collect', expected: sent, waitMs: 15000 }), 60000)
}

async function capacity(label, entry, servers, extra, { clients, seconds }) {
  const rooms = Array.from({ length: clients / PER_ROOM }, (_, r) => 'cap' + r)
  const specs = rooms.flatMap((room) => Array.from({ length: PER_ROOM }, (_, p) => ({ base: entry, room, name: 'p' + p, group: 'all' })))
  const rssBefore = servers.map((s) => rssKB(s.pid))
  const pool = new ClientPool(WORKERS)
  try {
    log(label + ': connecting', clients, 'bridges to', entry)
    const { rooms: mine, seconds: connectSeconds } = await connectAll(pool, specs, servers)
    const procs = [...servers, ...extra]
    const cpu0 = procs.map((p) => cpuSeconds(p.pid))
    const clientCpu0 = pool.cpu()
    const t0 = performance.now()
    log(label + ':', clients, 'connected in', connectSeconds.toFixed(1), 's; publishing for', seconds, 's')
    const answers = await publishAndCollect(pool, mine, seconds, PER_ROOM * 0.1)
    const wall = (performance.now() - t0) / 1000
    const cpu = procs.map((p, i) => ({ name: p.name, seconds: cpuSeconds(p.pid) - cpu0[i] }))
    const clientCpu = pool.cpu().map((c, i) => c - clientCpu0[i])
    const memory = await Promise.all(servers.map(async (s, i) => {
      const sockets = await openSockets(s)
      const after = rssKB(s.pid)
      return { name: s.name, rssBeforeKB: rssBefore[i], rssAfterKB: after, sockets, kBPerConnection: (after - rssBefore[i]) / sockets }
    }))
    const extraRss = extra.map((p) => ({ name: p.name, rssKB: rssKB(p.pid) }))
    const latency = groupLatencies(answers, ['all'])
    const loopDelay = answers.map((a) => a.loopDelay)
    const result = { label, clients, rooms: rooms.length, seconds, wall, connectSeconds, tally: addTallies(answers), ts: stats(latency.fromTs), send: stats(latency.fromSend), memory, extraRss, cpu, clientCpu, loopDelay }
    log(label + ': latency p50', fmt(result.ts.p50), 'ms, p99', fmt(result.ts.p99), 'ms over', result.ts.n, 'deliveries;', JSON.stringify(result.tally))
    for (const p of result.tally.problems) log(label + ': problem', JSON.stringify(p))
    log(label + ': memory', memory.map((m) => m.name + ' ' + fmt(m.kBPerConnection, 1) + ' kB/conn (' + m.sockets + ')').join(', '), '; client CPU', clientCpu.map((c) => c.toFixed(1)).join(' + '), 's in', wall.toFixed(1), 's')
    return result
  } finally {
    await pool.close()
  }
}

/** Per room a publisher on `publisher`, `perGroup` receivers on each of `receivers` ({ group, base }). */
async function probe(label, publisher, receivers, servers, { rooms: roomCount, seconds }) {
  const rooms = Array.from({ length: roomCount }, (_, r) => 'probe' + r)
  const specs = rooms.flatMap((room) => [
    { base: publisher, room, name: 'pub', group: 'publisher' },
    ...receivers.flatMap(({ group, base, count }) => Array.from({ length: count }, (_, i) => ({ base, room, name: group + i, group }))),
  ])
  const pool = new ClientPool(WORKERS)
  try {
    const { rooms: mine } = await connectAll(pool, specs, servers)
    log(label + ' probe:', specs.length, 'bridges in', roomCount, 'rooms; publishing for', seconds, 's')
    const answers = await publishAndCollect(pool, mine, seconds, 2, 'publisher')
    const groups = Object.fromEntries([...new Set(receivers.map((r) => r.group))].map((g) => [g, stats(groupLatencies(answers, [g]).fromTs)]))
    log(label + ' probe:', JSON.stringify(groups))
    return { groups, tally: addTallies(answers) }
  } finally {
    await pool.close()
  }
}

async function singleProcess(load, probeLoad) {
  const server = await new ExampleServer({}, 'cluster-single').start()
  try {
    const s = { name: 'server', pid: server.pid, url: server.origin }
    // The probe first, on a quiet server: after the capacity load, its 3,000 leaves (a player_list event each) would still be running.
    const pr = await probe('one process', server.origin, [{ group: 'one', base: server.origin, count: 9 }], [s], probeLoad)
    const cap = await capacity('one process', server.origin, [s], [], load)
    return { cap, probe: pr }
  } finally {
    await server.stop()
  }
}

async function threeReplicas(load, probeLoad) {
  const pgids = new Set()
  const kill = () => pgids.forEach((pid) => { try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ } })
  process.on('exit', kill) // a crash or a signal still takes the cluster down
  const print = (line) => {
    log(line)
    const pid = /^(?:REDIS|REPLICA) (\d+)/.exec(line)?.[1]
    if (pid) pgids.add(Number(pid))
  }
  const cluster = await startCluster({ replicas: 3, python: PYTHON, env: testServerEnv(), print })
  pgids.add(cluster.lb.pid)
  try {
    const replicas = cluster.replicas.map((r, i) => ({ name: 'replica' + (i + 1), pid: r.pid, url: r.url }))
    const extra = [{ name: 'redis', pid: cluster.redis.pid }, { name: 'haproxy', pid: cluster.lb.pid }]
    const [r1, r2, r3] = replicas
    const receivers = [{ group: 'same', base: r1.url, count: 3 }, { group: 'cross', base: r2.url, count: 3 }, { group: 'cross', base: r3.url, count: 3 }]
    const pr = await probe('3 replicas', r1.url, receivers, replicas, probeLoad)
    const cap = await capacity('3 replicas', cluster.lb.url, replicas, extra, load)
    const info = await redisCli(cluster.redis.port, 'INFO', 'memory')
    cap.redisUsedMemoryMB = Number(/used_memory:(\d+)/.exec(info)[1]) / 1e6
    return { cap, probe: pr }
  } finally {
    await cluster.stop()
    process.off('exit', kill)
  }
}

export async function run({ quick }) {
  const missing = ['redis-server', 'redis-cli', 'haproxy'].filter((b) => spawnSync('sh', ['-c', 'command -v ' + b]).status !== 0)
  if (missing.length) throw new Error('needs ' + missing.join(', ') + ' (Debian packages redis-server and haproxy; .ci/run installs them)')
  const load = quick ? { clients: 300, seconds: 5 } : { clients: 3000, seconds: 30 }
  const probeLoad = quick ? { rooms: 10, seconds: 4 } : { rooms: 20, seconds: 20 }
  const one = await singleProcess(load, probeLoad)
  const three = await threeReplicas(load, probeLoad)
  return rows(one, three, load, probeLoad)
}

const clean = (t) => t.lost === 0 && t.duplicated === 0 && t.outOfOrder === 0 && t.resets === 0
const deliveryText = (t) => t.lost + ' lost, ' + t.duplicated + ' dup, ' + t.outOfOrder + ' out of order'
const plus = (base, ours) => (ours - base >= 0 ? '+' : '') + fmt(ours - base, 1) + ' ms (' + fmt(ours / base, 2) + '×)'

function rows(one, three, load, probeLoad) {
  const a = one.cap
  const b = three.cap
  const setup = fmt(load.clients) + ' bridges, ' + a.rooms + ' rooms of ' + PER_ROOM + ', ~' + a.rooms + ' events/s, ' + load.seconds + ' s'
  const detail = { load, probeLoad, workers: WORKERS, one, three }
  const cpuText = (c) => c.cpu.map((p) => p.name + ' ' + p.seconds.toFixed(1)).join(', ') + ', client processes ' + c.clientCpu.map((x) => x.toFixed(1)).join(' + ') + ' CPU s in ' + c.wall.toFixed(0) + ' s'
  const perReplica = b.memory.map((m) => m.name + ' ' + fmt(m.kBPerConnection, 1) + ' kB × ' + m.sockets).join(', ')
  const meanPerConn = b.memory.reduce((s, m) => s + m.kBPerConnection, 0) / b.memory.length
  const cross = three.probe.groups.cross
  const same = three.probe.groups.same
  const single = one.probe.groups.one
  const probeSetup = probeLoad.rooms + ' rooms × 2 events/s, ' + probeLoad.seconds + ' s'
  return [
    row({
      id: 'cluster.capacity.p50', bench: 'cluster', what: 'publish → client latency p50 (server ts to listener), one process vs 3 replicas on Redis behind HAProxy (' + setup + ')',
      baseline: { label: 'one process', value: a.ts.p50, unit: 'ms' }, ours: { label: '3 replicas', value: b.ts.p50, unit: 'ms' },
      ratioText: plus(a.ts.p50, b.ts.p50), goal: '3 replicas < ' + GOAL_MS + ' ms', pass: b.ts.p50 < GOAL_MS,
      note: b.ts.n + ' deliveries; from the player\'s send (through HAProxy) p50 ' + fmt(b.send.p50, 1) + ' / p99 ' + fmt(b.send.p99, 1) + ' ms (one process ' + fmt(a.send.p50, 1) + ' / ' + fmt(a.send.p99, 1) + '); CPU: ' + cpuText(b) + '; one process: ' + cpuText(a),
      detail,
    }),
    row({
      id: 'cluster.capacity.p99', bench: 'cluster', what: 'publish → client latency p99, one process vs 3 replicas',
      baseline: { label: 'one process', value: a.ts.p99, unit: 'ms' }, ours: { label: '3 replicas', value: b.ts.p99, unit: 'ms' },
      ratioText: plus(a.ts.p99, b.ts.p99), goal: '3 replicas < ' + GOAL_MS + ' ms', pass: b.ts.p99 < GOAL_MS,
      note: 'max ' + fmt(b.ts.max, 1) + ' ms (one process ' + fmt(a.ts.max, 1) + ' ms); the client processes\' event-loop delay p99 ' + b.loopDelay.map((d) => fmt(d.p99, 1)).join(' / ') + ' ms, max ' + b.loopDelay.map((d) => fmt(d.max, 1)).join(' / ') + ' (one process run ' + a.loopDelay.map((d) => fmt(d.p99, 1)).join(' / ') + ', max ' + a.loopDelay.map((d) => fmt(d.max, 1)).join(' / ') + '); connecting the bridges took ' + b.connectSeconds.toFixed(1) + ' s (one process ' + a.connectSeconds.toFixed(1) + ' s)',
    }),
    row({
      id: 'cluster.capacity.delivery', bench: 'cluster', what: 'every client got every event of its room once, in order (lost / duplicated / out of order)',
      baseline: { label: 'one process', value: deliveryText(a.tally) }, ours: { label: '3 replicas', value: deliveryText(b.tally) },
      ratioText: fmt(b.tally.received) + ' of ' + fmt(b.tally.expected), goal: '0 lost, 0 dup, in order', pass: clean(b.tally) && clean(a.tally),
      note: 'resets ' + b.tally.resets + ', socket drops ' + b.tally.drops + ', clients with a problem ' + b.tally.problemClients + ' (one process: ' + a.tally.resets + ', ' + a.tally.drops + ', ' + a.tally.problemClients + ')',
    }),
    row({
      id: 'cluster.capacity.memory', bench: 'cluster', what: 'server RSS per open socket (with the clients connected minus before, over its sockets), one process vs each replica (mean)',
      baseline: { label: 'one process', value: a.memory[0].kBPerConnection, unit: 'kB', digits: 1 }, ours: { label: 'replica', value: meanPerConn, unit: 'kB', digits: 1 },
      ratio: meanPerConn / a.memory[0].kBPerConnection,
      note: perReplica + ' sockets; one process ' + fmt(a.memory[0].kBPerConnection, 1) + ' kB × ' + a.memory[0].sockets + ' (its RSS also holds the rooms\' history, which on Redis is in Redis: used_memory ' + fmt(b.redisUsedMemoryMB, 1) + ' MB); HAProxy RSS ' + fmt(b.extraRss.find((p) => p.name === 'haproxy').rssKB / 1000, 1) + ' MB',
    }),
    row({
      id: 'cluster.cross.p50', bench: 'cluster', what: 'publish → client on another replica p50, vs the same on one process (' + probeSetup + ', no other load)',
      baseline: { label: 'one process', value: single.p50, unit: 'ms' }, ours: { label: 'cross-replica', value: cross.p50, unit: 'ms' },
      ratioText: plus(single.p50, cross.p50), pass: null,
      note: 'same replica as the publisher (also through Redis) p50 ' + fmt(same.p50, 1) + ' / p99 ' + fmt(same.p99, 1) + ' ms; ' + cross.n + ' cross-replica deliveries; probe delivery: ' + deliveryText(three.probe.tally) + ' (one process ' + deliveryText(one.probe.tally) + ')',
    }),
    row({
      id: 'cluster.cross.p99', bench: 'cluster', what: 'publish → client on another replica p99, vs one process',
      baseline: { label: 'one process', value: single.p99, unit: 'ms' }, ours: { label: 'cross-replica', value: cross.p99, unit: 'ms' },
      ratioText: plus(single.p99, cross.p99), pass: null,
      note: 'max ' + fmt(cross.max, 1) + ' ms (one process ' + fmt(single.max, 1) + ' ms)',
    }),
  ]
}
