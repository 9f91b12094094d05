// docs/sizing.md's tables, computed from measurements only: bench/sizing.json (node bench/sizing.mjs)
// and bench/results.json's rows 7 (memory per socket), 9 (Redis egress) and 10 (CPU per delivery).
// The model's assumptions are the constants below; docs/sizing.md explains each.
import { fmt } from './common.mjs'

const PER_ROOM = 10 // clients per room: the game's rooms in rows 5 and 7
const GAME_RATE = 1 // events/s per room: one chat message a second per room (rows 5 and 7)
const UTIL = 0.7 // plan each process to 70 % of one core: headroom for bursts and reconnect storms
const TCP_OVERHEAD = 66 // bytes of Ethernet + IPv4 + TCP headers (with timestamps) per frame sent alone
const HISTORY = 1000 // events kept per room (Settings.replay_log_size): a busy room's stream at its cap

function units(sizing, results) {
  const find = (id) => {
    const r = results.rows.find((x) => x.id === id)
    if (!r) throw new Error('bench/results.json has no row ' + id + ': run node bench/run.mjs --only ' + id.split('-')[0] + ' --merge bench/results.json')
    return r
  }
  const fan = find('fanout-limit-1000')
  const egress = find('egress-per-event')
  return {
    delivery: fan.ours.value / 1e6, // s of CPU per delivery, one big room (row 10)
    // s of replica CPU per event of a 10-client room held on the publishing replica: the publish,
    // the follower's read of it from Redis and the 10 deliveries (sizing.json, follow phase)
    event: sizing.follow.server,
    publish: sizing.publish.server,
    // beyond the publish and the deliveries: a holding replica's share of an event (the follower's
    // read, parse and the room's bookkeeping), paid once per replica that holds the room
    follow: Math.max(0, sizing.follow.server - sizing.publish.server - PER_ROOM * fan.ours.value / 1e6),
    socketSecond: sizing.idle.server,
    redisEvent: sizing.follow.redis,
    redisSocketSecond: sizing.idle.redis,
    redisCommands: sizing.follow.commands,
    redisInBytes: sizing.follow.inBytes,
    redisCopyBytes: egress.detail.oursCopy, // one copy of an event to one replica holding the room (row 9)
    replicaSocketBytes: sizing.memory.replicaPerSocket,
    redisSocketBytes: sizing.memory.redisPerSocket,
    redisEventBytes: sizing.publish.redisMemory,
    frameBytes: fan.detail.samples.ours[0].frameBytes,
  }
}

/**
 * What N clients need at `rate` events/s per room. `spread`: a room's clients land on different
 * replicas (HAProxy leastconn, as deploy/haproxy.cfg ships), so each event is followed by up to
 * PER_ROOM replicas; otherwise the balancer keeps a room on one replica (balance uri depth 2).
 */
function need(u, clients, rate, spread) {
  const rooms = clients / PER_ROOM
  const events = rooms * rate
  const holdersFor = (replicas) => (spread ? Math.min(replicas, PER_ROOM) : 1)
  const cpuFor = (replicas) => events * (u.publish + holdersFor(replicas) * u.follow + PER_ROOM * u.delivery) + clients * u.socketSecond
  // spread: more replicas mean more holders per event; iterate to the fixed point
  let replicas = 1
  while (Math.ceil(cpuFor(replicas) / UTIL) > replicas) replicas = Math.ceil(cpuFor(replicas) / UTIL)
  const replicaCpu = cpuFor(replicas)
  const holders = holdersFor(replicas)
  const redisCpu = events * u.redisEvent + clients * u.redisSocketSecond
  return {
    clients, rate, events,
    deliveries: clients * rate,
    replicaCores: replicaCpu,
    replicas,
    redisCores: redisCpu,
    shards: Math.max(1, Math.ceil(redisCpu / UTIL)),
    redisOps: events * u.redisCommands,
    replicaMemory: clients * u.replicaSocketBytes,
    redisMemory: clients * u.redisSocketBytes + rooms * HISTORY * u.redisEventBytes,
    clientBandwidth: clients * rate * (u.frameBytes + TCP_OVERHEAD) * 8,
    redisBandwidth: events * (holders * u.redisCopyBytes + u.redisInBytes) * 8,
  }
}

const si = (v, unit) => {
  const steps = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]
  const [div, prefix] = steps.find(([d]) => v >= d) || [1, '']
  return fmt(v / div, v / div >= 100 ? 0 : 1) + ' ' + prefix + unit
}

export function model(sizing, results) {
  const u = units(sizing, results)
  const lines = ['Per-unit costs (this machine):', '',
    '| unit | value | from |', '|---|---|---|',
    `| replica CPU per delivery, one room of 1,000 | ${fmt(u.delivery * 1e6)} µs | row 10 |`,
    `| replica CPU per event, room of ${PER_ROOM} on the publishing replica (publish + follow + ${PER_ROOM} deliveries) | ${fmt(u.event * 1e6)} µs | sizing.json follow |`,
    `| replica CPU per publish, room with no socket | ${fmt(u.publish * 1e6)} µs | sizing.json publish |`,
    `| replica CPU per event per replica holding its room, beyond the deliveries | ${fmt(u.follow * 1e6)} µs | follow − publish − ${PER_ROOM} × delivery |`,
    `| replica CPU per open socket per second (idle) | ${fmt(u.socketSecond * 1e6)} µs | sizing.json idle |`,
    `| Redis CPU per event | ${fmt(u.redisEvent * 1e6)} µs | sizing.json follow |`,
    `| Redis CPU per open socket per second (idle) | ${fmt(u.redisSocketSecond * 1e6)} µs | sizing.json idle |`,
    `| Redis commands per event | ${fmt(u.redisCommands)} | sizing.json follow |`,
    `| bytes replica → Redis per event / Redis → each holding replica | ${fmt(u.redisInBytes, 0)} B / ${fmt(u.redisCopyBytes, 0)} B | sizing.json follow / row 9 |`,
    `| replica RSS per open socket | ${fmt(u.replicaSocketBytes / 1024)} KiB | sizing.json sockets |`,
    `| Redis memory per open socket / per stored event | ${fmt(u.redisSocketBytes, 0)} B / ${fmt(u.redisEventBytes, 0)} B | sizing.json sockets / publish |`,
    `| event frame to a client | ${u.frameBytes} B (+ ${TCP_OVERHEAD} B TCP/IP) | row 10 |`, '',
    '| clients | events/s per room | rooms placed | events/s | deliveries/s | replica cores | replicas (70 %) | Redis cores | shards (70 %) | Redis ops/s | replica RAM | Redis RAM | to clients | Redis ↔ replicas |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
  for (const spread of [false, true]) {
    for (const rate of [GAME_RATE, 10 * GAME_RATE]) {
      for (const clients of [1e4, 1e5, 1e6]) row(lines, u, clients, rate, spread)
    }
  }
  return lines.join('\n')
}

function row(lines, u, clients, rate, spread) {
  const n = need(u, clients, rate, spread)
  lines.push(`| ${fmt(clients, 0)} | ${rate} | ${spread ? 'spread (leastconn)' : 'by room'} | ${fmt(n.events, 0)} | ${fmt(n.deliveries, 0)} | ${fmt(n.replicaCores, 1)} | ${n.replicas} | ${fmt(n.redisCores, 2)} | ${n.shards} | ` +
    `${fmt(n.redisOps, 0)} | ${si(n.replicaMemory, 'B')} | ${si(n.redisMemory, 'B')} | ${si(n.clientBandwidth, 'bit/s')} | ${si(n.redisBandwidth, 'bit/s')} |`)
}
