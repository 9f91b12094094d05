// Row 9, Redis egress per event: what Redis sends to the replicas for each event, per-room
// sharded subscriptions (ours) against the one global channel every replica read before
// (the server at GLOBAL_COMMIT, taken out of git with `git archive`), in the same run.
//   3 replicas of the bare module on one Redis; ROOMS rooms spread over them: room k's sockets
//   on replica k % 3, and the first ROOMS / 4 rooms also on replica (k + 1) % 3, so an event
//   should cross to 1 or 2 replicas, never 3. EVENTS events per room, published through
//   replica 0's test endpoint; the phase ends when every socket got every event of its room.
//   Redis's own count (INFO stats total_net_output_bytes) over the phase, minus the same phase
//   with no socket anywhere (the replies to the publishes, the same in both modes), over the
//   events published: bytes from Redis to the replicas per event.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { freePort, redisCli, startRedis } from '../scripts/cluster.mjs'
import { testServerEnv } from '../scripts/harness/access.mjs'
import { bareModule, startServer } from '../scripts/harness/servers.mjs'
import { PYTHON, ROOT, fmt, logger, row, until } from './lib/common.mjs'

const log = logger('egress')
const GLOBAL_COMMIT = '244daa3' // the last commit whose follower SUBSCRIBEs to the one channel wsb:events
const REPLICAS = 3
const SOCKETS_PER_ROOM = 2

/** The server package as it was at `commit`, in a temporary directory (for PYTHONPATH). */
function oldPackage(commit) {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-global-'))
  const tar = execFileSync('git', ['-C', ROOT, 'archive', commit, 'server/ws_bridge_server'])
  execFileSync('tar', ['-x', '-C', dir, '--strip-components=1'], { input: tar })
  return dir
}

async function replicas(redisUrl, pythonPath) {
  const env = { ...testServerEnv(), ...(pythonPath ? { PYTHONPATH: pythonPath } : {}) }
  return Promise.all(Array.from({ length: REPLICAS }, () =>
    startServer(bareModule({ python: PYTHON, publishEndpoint: true }), { name: 'a replica', redis: redisUrl, env })))
}

/** Bytes of one pub/sub message on the wire (RESP2: an array of kind, channel, data). */
const respBytes = (...parts) => 4 + parts.reduce((n, p) => { const b = Buffer.byteLength(p); return n + 1 + String(b).length + 2 + b + 2 }, 0)

/** The mean bytes of one copy of a `kind` message of `room` on `channel`: its data is "<id> <body>" as stored. */
async function copyBytes(port, room, kind, channel) {
  const lines = (await redisCli(port, 'XRANGE', `wsb:{${room}}:stream`, '-', '+')).split('\n').filter(Boolean)
  const sizes = []
  for (let i = 0; i + 4 < lines.length; i += 5) { // entry id, "ep", epoch, "e", body
    sizes.push(respBytes(kind, channel, lines[i + 2] + '-' + lines[i].replace(/-0$/, '') + ' ' + lines[i + 4]))
  }
  return sizes.reduce((a, b) => a + b, 0) / sizes.length
}

const outBytes = async (port) => Number(/total_net_output_bytes:(\d+)/.exec(await redisCli(port, 'INFO', 'stats'))[1])

/** The id of the room's last event, paging the poll as a client does ('' for an empty room). */
async function lastId(server, room) {
  let since = ''
  for (;;) {
    const r = await fetch(server.url + `/rooms/${room}/events?client=egress&since=${encodeURIComponent(since)}`)
    if (!r.ok) throw new Error('poll answered ' + r.status)
    const page = await r.json()
    if (page.length) since = page[page.length - 1].id
    if (!r.headers.get('x-ws-bridge-more')) return since
  }
}

/** Opens the sockets of `placement` (room -> replica indexes); resolves once all are open.
 * Each resumes from its room's last id: a socket without `since` goes live only once its
 * replica follows the room, and an event published before that would never reach it. */
async function connect(servers, placement) {
  const sockets = []
  const opened = [] // listened to at once: the next room's poll lets these open meanwhile
  for (const [room, holders] of placement) {
    const since = encodeURIComponent(await lastId(servers[0], room))
    for (const r of holders) {
      for (let i = 0; i < SOCKETS_PER_ROOM; i++) {
        const ws = new WebSocket(servers[r].url.replace(/^http/, 'ws') + `/ws/${room}/c${r}x${i}?since=${since}`)
        ws.got = 0
        ws.room = room
        ws.on('message', (data) => { if (JSON.parse(data).type === 'tick') ws.got++ })
        sockets.push(ws)
        opened.push(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) }))
      }
    }
  }
  await Promise.all(opened)
  return sockets
}

/** Publishes `events` to every room through replica 0; the bytes Redis sent meanwhile. */
async function phase(redis, servers, rooms, events, sockets) {
  const before = await outBytes(redis.port)
  for (const room of rooms) {
    const r = await fetch(servers[0].url + `/rooms/${room}/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'tick', count: events }) })
    if (!r.ok) throw new Error('publish answered ' + r.status)
  }
  await until(() => sockets.every((ws) => ws.got >= events), 60000, 'every socket to get its room\'s events')
  return (await outBytes(redis.port)) - before
}

async function measure(redis, pythonPath, rooms, placement, events) {
  const servers = await replicas(redis.authUrl, pythonPath)
  try {
    const idle = await phase(redis, servers, rooms, events, []) // no socket: the publishes' replies
    const sockets = await connect(servers, placement)
    const busy = await phase(redis, servers, rooms, events, sockets)
    for (const ws of sockets) ws.close()
    return { idle, busy }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

export async function run({ quick }) {
  const rooms = Array.from({ length: quick ? 12 : 24 }, (_, k) => 'egress' + k)
  const events = quick ? 50 : 200
  const placement = new Map(rooms.map((room, k) => [room, k < rooms.length / 4 ? [k % REPLICAS, (k + 1) % REPLICAS] : [k % REPLICAS]]))
  const holders = [...placement.values()].reduce((n, h) => n + h.length, 0) / rooms.length
  const dir = mkdtempSync(join(tmpdir(), 'wsb-egress-'))
  const old = oldPackage(GLOBAL_COMMIT)
  const redis = await startRedis({ port: await freePort(), dir, persistence: 'none' })
  try {
    const total = rooms.length * events
    log(`per-room subscriptions: ${rooms.length} rooms × ${events} events`)
    const ours = await measure(redis, null, rooms.map((r) => r + 'a'), new Map([...placement].map(([r, h]) => [r + 'a', h])), events)
    log(`global channel (${GLOBAL_COMMIT})`)
    const global = await measure(redis, old, rooms.map((r) => r + 'b'), new Map([...placement].map(([r, h]) => [r + 'b', h])), events)
    // The replies to the publishes are the same in both modes: the per-room idle phase had no subscriber at all.
    const perEvent = (m) => (m.busy - ours.idle) / total
    const oursPer = perEvent(ours)
    const globalPer = perEvent(global)
    // One copy's bytes, from the stored events: `smessage` on wsb:{room}:live against `message` on wsb:events.
    const oursCopy = await copyBytes(redis.port, rooms[0] + 'a', 'smessage', `wsb:{${rooms[0]}a}:live`)
    const globalCopy = await copyBytes(redis.port, rooms[0] + 'b', 'message', 'wsb:events')
    return [row({
      id: 'egress-per-event',
      bench: 'egress',
      what: `Redis → replicas bytes per event, ${REPLICAS} replicas, ${rooms.length} rooms spread (${fmt(holders)} replicas hold a room on average)`,
      baseline: { label: 'global channel', value: globalPer, unit: 'B', digits: 0 },
      ours: { label: 'per-room', value: oursPer, unit: 'B', digits: 0 },
      ratio: oursPer / globalPer,
      goal: `${fmt(holders)} messages per event (each event to the replicas holding its room only)`,
      pass: Math.abs(oursPer / oursCopy - holders) <= 0.05 * holders,
      note: `${total} events; messages per event (bytes over one copy's: ${fmt(oursCopy, 0)} B and ${fmt(globalCopy, 0)} B): ` +
        `per-room ${fmt(oursPer / oursCopy)} (the replicas holding the room: ${fmt(holders)}), global ${fmt(globalPer / globalCopy)}; ` +
        `idle phases (no socket): ${ours.idle} B and ${global.idle} B`,
      detail: { events: total, holders, ours, global, oursCopy, globalCopy, commit: GLOBAL_COMMIT },
    })]
  } finally {
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
    rmSync(old, { recursive: true, force: true })
  }
}
