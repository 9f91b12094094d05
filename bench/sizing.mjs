#!/usr/bin/env node
// The per-unit costs behind docs/sizing.md that no bench row measures: one replica (the bare
// module) on one Redis as deploy/redis.conf runs it (AOF, fsync always), game-shaped rooms.
// Not a bench row (nothing to compare against): it writes bench/sizing.json, and --model
// prints the sizing tables of docs/sizing.md from it and bench/results.json (rows 7, 9, 10).
//   flock /tmp/wsb-heavy.lock node bench/sizing.mjs     measure (~1.5 min) → bench/sizing.json
//   node bench/sizing.mjs --model                       the tables, from the saved measurements
// Phases, each over a window, the replica's and Redis's CPU from /proc, Redis's own counters:
//   sockets: ROOMS rooms × PER_ROOM sockets opened → replica RSS and Redis used_memory per socket;
//   idle:    IDLE_S with no event → replica and Redis CPU per socket-second (heartbeats, presence);
//   publish: EVENTS events to rooms with no socket anywhere → CPU, Redis commands and bytes per publish;
//   follow:  EVENTS events to the held rooms → the same per event, with the follower and PER_ROOM deliveries.
// A publish here is an HTTP POST to the test endpoint; a game's comes up a player's socket.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, redisCli, startRedis } from '../scripts/cluster.mjs'
import { testServerEnv } from '../scripts/harness/access.mjs'
import { bareModule, startServer } from '../scripts/harness/servers.mjs'
import { ClientPool } from './lib/client-pool.mjs'
import { BENCH, PYTHON, cpuSeconds, fmt, logger, paced, postJson, sleep, until } from './lib/common.mjs'
import { model } from './lib/sizing-model.mjs'

const log = logger('sizing')
const ROOMS = 200
const PER_ROOM = 10 // the game's room in rows 5 and 7
const IDLE_S = 20
const EVENTS = 2000
const RATE = 200 // events/s: well under what one replica takes, so nothing queues
const OUT = join(BENCH, 'sizing.json')
const PAD = 'x'.repeat(120) // ~200-byte frames, as in row 10

const rssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024
async function redisInfo(port) {
  const text = await redisCli(port, 'INFO')
  const get = (key) => Number(new RegExp('^' + key + ':(\\d+)', 'm').exec(text)[1])
  return { memory: get('used_memory'), commands: get('total_commands_processed'), inBytes: get('total_net_input_bytes'), outBytes: get('total_net_output_bytes') }
}

/** CPU of the replica and Redis, and Redis's counters, over `action`. */
async function measured(server, redis, action) {
  const [s0, r0, i0] = [cpuSeconds(server.pid), cpuSeconds(redis.pid), await redisInfo(redis.port)]
  await action()
  const i1 = await redisInfo(redis.port)
  return { server: cpuSeconds(server.pid) - s0, redis: cpuSeconds(redis.pid) - r0, commands: i1.commands - i0.commands, redisMemory: i1.memory - i0.memory,
    inBytes: i1.inBytes - i0.inBytes, outBytes: i1.outBytes - i0.outBytes }
}

const publishAll = (server, room) =>
  paced(EVENTS, RATE, (k) => postJson(server.url + `/rooms/${room(k)}/events`, JSON.stringify({ type: 'fan', k, text: PAD })))

const per = (m, n) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v / n]))

async function measure() {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-sizing-'))
  const redis = await startRedis({ port: await freePort(), dir })
  const server = await startServer(bareModule({ python: PYTHON, publishEndpoint: true }), { name: 'the replica', redis: redis.authUrl, env: testServerEnv() })
  const pool = new ClientPool(2, join(BENCH, 'lib', 'fanout-clients.mjs'))
  try {
    const sockets = ROOMS * PER_ROOM
    await sleep(2000) // let the replica settle after start
    const [rss0, mem0] = [rssBytes(server.pid), (await redisInfo(redis.port)).memory]
    await pool.call((i) => ({ cmd: 'connect', kind: 'ours', base: server.url, count: sockets / 2, first: i * (sockets / 2), rooms: ROOMS }), 120000)
    await sleep(2000)
    const memory = { replicaPerSocket: (rssBytes(server.pid) - rss0) / sockets, redisPerSocket: ((await redisInfo(redis.port)).memory - mem0) / sockets }
    log(`${sockets} sockets: replica ${fmt(memory.replicaPerSocket / 1024)} KiB, Redis ${fmt(memory.redisPerSocket)} B per socket`)
    const idle = per(await measured(server, redis, () => sleep(IDLE_S * 1000)), sockets * IDLE_S)
    log(`idle: replica ${fmt(idle.server * 1e6)} µs, Redis ${fmt(idle.redis * 1e6)} µs per socket-second`)
    const publish = per(await measured(server, redis, () => publishAll(server, (k) => 'empty' + (k % ROOMS))), EVENTS)
    log(`publish to a room with no socket: replica ${fmt(publish.server * 1e6)} µs, Redis ${fmt(publish.redis * 1e6)} µs, ${fmt(publish.commands)} commands`)
    await pool.call(() => ({ cmd: 'reset' }), 10000)
    const follow = per(await measured(server, redis, async () => {
      await publishAll(server, (k) => 'r' + (k % ROOMS))
      await until(async () => (await pool.call(() => ({ cmd: 'count' }), 10000)).reduce((n, c) => n + c.delivered, 0) >= EVENTS * PER_ROOM, 60000, 'every delivery', 200)
    }), EVENTS)
    log(`publish to a room of ${PER_ROOM} here: replica ${fmt(follow.server * 1e6)} µs, Redis ${fmt(follow.redis * 1e6)} µs, ${fmt(follow.commands)} commands`)
    return { rooms: ROOMS, perRoom: PER_ROOM, sockets, idleSeconds: IDLE_S, events: EVENTS, rate: RATE, memory, idle, publish, follow }
  } finally {
    await pool.close()
    await server.stop()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv.includes('--model')) {
  console.log(model(JSON.parse(readFileSync(OUT, 'utf8')), JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8'))))
} else {
  const result = { date: new Date().toISOString(), command: 'node bench/sizing.mjs', ...(await measure()) }
  writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
  log('wrote bench/sizing.json')
  process.exit(0)
}
