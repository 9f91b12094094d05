// A child process holding a share of the cluster benchmark's Node bridges
// (dist/index.mjs, the `ws` client, memory storage), so that thousands of
// bridges are not all one Node process's work on a 2-core machine. Driven by
// bench/cluster.mjs over IPC, one command at a time, each answered once:
//   { cmd: 'connect', clients: [{ base, room, name, group }] } → { connected, ms }
//   { cmd: 'publish', seconds, rooms: [room], perRoomPerSecond, from: group } → { sent: { room: n } }
//   { cmd: 'collect', expected: { room: n }, waitMs } → { groups, tally, problems }
//   { cmd: 'close' } → { closed } and the process exits
// A published event is a player's chat message up its own socket, as the example
// game does it: `{ type: 'message', text: 'bench <k> <send time ms>' }`; k counts per room.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { DIST, prng, sleep } from './common.mjs'

const now = () => performance.timeOrigin + performance.now() // wall clock (ms), sub-ms resolution
const seqOf = (id) => Number(String(id).split('-').pop())

let bridgeModule = null
const clients = []
// How late this process's timers ran while publishing: a busy client shows here, not in the servers.
const loopDelay = monitorEventLoopDelay({ resolution: 10 })

function makeClient({ base, room, name, group }) {
  const { connect, memoryStorage } = bridgeModule
  const bridge = connect({
    url: base.replace(/^http/, 'ws') + '/ws/' + room + '/' + name,
    room,
    WebSocket,
    storage: memoryStorage(),
    debug: false,
    lifecycle: false,
    dedupWindow: 100000,
  })
  const client = { bridge, room, name, group, ks: [], lastSeq: 0, outOfOrder: 0, ids: new Set(), duplicated: 0, resets: 0, drops: 0, fromTs: [], fromSend: [] }
  bridge.on('message', (m) => {
    const at = now()
    const seq = seqOf(m.id)
    if (client.ids.has(m.id)) client.duplicated++
    client.ids.add(m.id)
    if (seq <= client.lastSeq) client.outOfOrder++
    client.lastSeq = Math.max(client.lastSeq, seq)
    if (m.type !== 'message' || typeof m.text !== 'string' || !m.text.startsWith('bench ')) return
    const [, k, sentAt] = m.text.split(' ')
    client.ks.push(Number(k))
    client.fromTs.push(at - m.ts)
    client.fromSend.push(at - Number(sentAt))
  })
  bridge.on('reset', () => client.resets++)
  bridge.on('status', (status, previous) => {
    if (previous.state === 'connected' && status.state !== 'connected') client.drops++
  })
  return client
}

async function connectAll(specs) {
  const t0 = performance.now()
  // A few hundred at a time: a storm of thousands of handshakes at once only measures the backlog.
  for (let i = 0; i < specs.length; i += 200) {
    const batch = specs.slice(i, i + 200).map(makeClient)
    clients.push(...batch)
    const deadline = Date.now() + 60000
    while (!batch.every((c) => c.bridge.getStatus().state === 'connected')) {
      if (Date.now() > deadline) throw new Error(batch.filter((c) => c.bridge.getStatus().state !== 'connected').length + ' of a batch of ' + batch.length + ' bridges not connected after 60 s')
      await sleep(20)
    }
  }
  return { connected: clients.length, ms: performance.now() - t0 }
}

/** Every 1/perRoomPerSecond s, a random player (of group `from`) of each room sends one chat message; rooms are spread over the period. */
async function publish({ seconds, rooms, perRoomPerSecond, from }) {
  const random = prng(11 + rooms.length)
  const period = 1000 / perRoomPerSecond
  const sent = Object.fromEntries(rooms.map((room) => [room, 0]))
  const players = new Map(rooms.map((room) => [room, clients.filter((c) => c.room === room && (!from || c.group === from))]))
  const timers = []
  loopDelay.reset()
  loopDelay.enable()
  await new Promise((resolve) => {
    rooms.forEach((room, i) => {
      const tick = () => {
        const list = players.get(room)
        const player = list[Math.floor(random() * list.length)]
        player.bridge.send({ type: 'message', text: 'bench ' + sent[room]++ + ' ' + now().toFixed(3) })
      }
      timers.push(setTimeout(() => {
        tick()
        timers.push(setInterval(tick, period))
      }, (i * period) / rooms.length))
    })
    setTimeout(resolve, seconds * 1000)
  })
  for (const t of timers) clearInterval(t) // clears timeouts too
  loopDelay.disable()
  return { sent }
}

function missing(client, expected) {
  const got = new Set(client.ks)
  const lost = []
  for (let k = 0; k < (expected[client.room] || 0); k++) if (!got.has(k)) lost.push(k)
  return lost
}

async function collect({ expected, waitMs }) {
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline && clients.some((c) => c.ks.length < (expected[c.room] || 0))) await sleep(50)
  const groups = {}
  const tally = { clients: clients.length, expected: 0, received: 0, lost: 0, duplicated: 0, outOfOrder: 0, resets: 0, drops: 0 }
  const problems = []
  for (const c of clients) {
    const g = (groups[c.group] ||= { fromTs: [], fromSend: [] })
    g.fromTs.push(...c.fromTs)
    g.fromSend.push(...c.fromSend)
    const lost = missing(c, expected)
    const dupKs = c.ks.length - new Set(c.ks).size
    tally.expected += expected[c.room] || 0
    tally.received += c.ks.length
    tally.lost += lost.length
    tally.duplicated += c.duplicated + dupKs
    tally.outOfOrder += c.outOfOrder
    tally.resets += c.resets
    tally.drops += c.drops
    if (lost.length || c.duplicated || dupKs || c.outOfOrder || c.resets) {
      problems.push({ room: c.room, name: c.name, lost: lost.slice(0, 10), duplicated: c.duplicated + dupKs, outOfOrder: c.outOfOrder, resets: c.resets })
    }
  }
  const ms = (ns) => Number((ns / 1e6).toFixed(1))
  const delay = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) }
  return { groups, tally, problems: problems.slice(0, 20), problemClients: problems.length, loopDelay: delay }
}

const commands = {
  connect: (m) => connectAll(m.clients),
  publish,
  collect,
  async close() {
    for (const c of clients) c.bridge.close()
    await sleep(200) // let the close frames go out
    return { closed: clients.length }
  },
}

process.on('message', async (m) => {
  try {
    bridgeModule ||= await import(pathToFileURL(DIST.esm).href)
    const result = await commands[m.cmd](m)
    process.send({ ok: true, ...result }, () => m.cmd === 'close' && process.exit(0))
  } catch (err) {
    process.send({ ok: false, error: String(err && err.stack ? err.stack : err) })
  }
})
process.on('disconnect', () => process.exit(0)) // the parent is gone: never outlive it
