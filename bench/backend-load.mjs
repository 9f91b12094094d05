// Row 5, backend load: a polling game app's workload against the example server, twice.
//   bridge:  100 players (10 rooms × 10) each hold one bridge in Node mode
//            (dist/index.mjs, the `ws` client, memory storage); a player's chat
//            message goes up its socket, the server pushes it to the room.
//   polling: the same 100 players GET /rooms/{room}/state every 0.4 s, as a
//            polling app does (keep-alive connections: the kindest case for polling);
//            a chat message is a POST /rooms/{room}/messages.
// Both: rooms pre-filled with 50 chat messages (a game under way, so /state is
// its usual size), ~10 chat events/s in total (1 per room per second, from a
// random player of that room), then an idle window with no events.
// Each mode runs on a fresh server; the server's /stats are reset and its CPU
// time (/proc, user+system) read at the start and end of each window.
import http from 'node:http'
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { DIST, logger, prng, row, sleep, until } from './lib/common.mjs'
import { ExampleServer } from './lib/example-server.mjs'

const log = logger('backend-load')
const ROOMS = 10
const PER_ROOM = 10
const EVENTS_PER_S = 10
const POLL_MS = 400
const PAD = ' '.padEnd(80, 'lorem ipsum dolor sit amet ')
const roomName = (r) => 'room' + r

// node:http with keep-alive, not fetch: undici's fetch costs this client so much
// CPU that 100 pollers fell to ~140 requests/s on 2 cores; node:http keeps the
// nominal 250/s, so polling is measured at the rate it is meant to run.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
function request(url, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, timeout: 10000, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => (bytes += chunk.length))
      res.on('end', () => (res.statusCode < 400 ? resolve(bytes) : reject(new Error(method + ' ' + url + ' → ' + res.statusCode))))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}
const playerName = (p) => 'player' + p

/** Runs `tick` every 1000/EVENTS_PER_S ms (if given) for `seconds`; returns server counters, bytes and CPU for the window. */
async function measure(server, seconds, tick, window) {
  await server.resetStats()
  const stopProfile = server.profile(window)
  const cpu0 = server.cpu()
  const t0 = performance.now()
  let k = 0
  const timer = tick ? setInterval(() => tick(k++), 1000 / EVENTS_PER_S) : null
  await sleep(seconds * 1000)
  if (timer) clearInterval(timer)
  await sleep(300) // let the last events reach their sockets
  const cpu = server.cpu() - cpu0
  const wall = (performance.now() - t0) / 1000
  await stopProfile()
  const stats = await server.stats()
  return {
    seconds: wall,
    cpuSeconds: cpu,
    eventsSent: k,
    stats,
    bytesSent: stats.ws_bytes_sent + stats.http_bytes_sent,
    handled: stats.ws_frames_sent + stats.ws_frames_received + stats.http_requests,
  }
}

async function prefillRooms(server) {
  for (let r = 0; r < ROOMS; r++) {
    await server.inject(roomName(r), { type: 'message', count: 50, player: 'earlier', text: 'earlier chat' + PAD })
  }
}

/** `env` goes to the server: DIRECT_WRITES=0 measures the per-socket ASGI send path. `idleSeconds` 0: no idle window. */
export async function bridgeMode(seconds, idleSeconds, env = {}, label = 'backend-bridge') {
  const { connect, memoryStorage } = await import(pathToFileURL(DIST.esm).href)
  const server = await new ExampleServer(env, label).start()
  const bridges = []
  try {
    await prefillRooms(server)
    for (let r = 0; r < ROOMS; r++) {
      for (let p = 0; p < PER_ROOM; p++) {
        const bridge = connect({
          url: server.ws + '/ws/' + roomName(r) + '/' + playerName(p),
          room: roomName(r),
          WebSocket,
          storage: memoryStorage(),
          debug: false,
          lifecycle: false,
        })
        const client = { bridge, room: r, received: 0 }
        bridge.on('message', (m) => {
          if (m.type === 'message' && typeof m.text === 'string' && m.text.startsWith('bench ')) client.received++
        })
        bridges.push(client)
      }
    }
    await until(() => bridges.every((c) => c.bridge.getStatus().state === 'connected'), 30000, '100 bridges connected')
    await until(async () => (await server.stats()).ws_connections_open === ROOMS * PER_ROOM, 10000, 'the server to count 100 sockets')
    await sleep(1000) // the join storm (player_list events) is over
    const random = prng(7)
    const sent = new Array(ROOMS).fill(0)
    const active = await measure(server, seconds, (k) => {
      const r = k % ROOMS
      const player = Math.floor(random() * PER_ROOM)
      sent[r]++
      bridges[r * PER_ROOM + player].bridge.send({ type: 'message', text: 'bench ' + k + PAD })
    }, 'active')
    await until(() => bridges.every((c) => c.received >= sent[c.room]), 5000, 'every event delivered to its room').catch(() => {})
    const expected = bridges.reduce((sum, c) => sum + sent[c.room], 0)
    const received = bridges.reduce((sum, c) => sum + c.received, 0)
    const idle = idleSeconds > 0 ? await measure(server, idleSeconds, null, 'idle') : null
    return { active, idle, delivered: received / expected }
  } finally {
    for (const c of bridges) c.bridge.close()
    await server.stop()
  }
}

export async function pollingMode(seconds, idleSeconds) {
  const server = await new ExampleServer({}, 'backend-polling').start()
  const timers = []
  const inflight = new Set()
  let polls = 0
  let failures = 0
  try {
    await prefillRooms(server)
    const state = (r) => server.origin + '/rooms/' + roomName(r) + '/state'
    for (let i = 0; i < ROOMS * PER_ROOM; i++) {
      const r = Math.floor(i / PER_ROOM)
      let busy = false
      // Start times spread over one period, as 100 independent browsers would be.
      const start = setTimeout(() => {
        timers.push(
          setInterval(() => {
            if (busy) return
            busy = true
            const done = request(state(r))
              .then(() => polls++, () => failures++)
              .finally(() => {
                busy = false
                inflight.delete(done)
              })
            inflight.add(done)
          }, POLL_MS),
        )
      }, (i * POLL_MS) / (ROOMS * PER_ROOM))
      timers.push(start)
    }
    await sleep(POLL_MS + 1000)
    const random = prng(7)
    const active = await measure(server, seconds, (k) => {
      const r = k % ROOMS
      const player = Math.floor(random() * PER_ROOM)
      const body = JSON.stringify({ player: playerName(player), text: 'bench ' + k + PAD })
      request(server.origin + '/rooms/' + roomName(r) + '/messages', { method: 'POST', body }).catch(() => failures++)
    }, 'active')
    const idle = await measure(server, idleSeconds, null, 'idle')
    return { active, idle, polls, failures }
  } finally {
    for (const t of timers) clearInterval(t)
    await Promise.allSettled([...inflight])
    await server.stop()
  }
}

export async function run({ quick }) {
  const seconds = quick ? 3 : 30
  const idleSeconds = quick ? 2 : 15
  log('bridge mode:', ROOMS * PER_ROOM, 'bridges,', seconds, 's active +', idleSeconds, 's idle')
  const bridge = await bridgeMode(seconds, idleSeconds)
  log('bridge: cpu', bridge.active.cpuSeconds.toFixed(2), 's, bytes', bridge.active.bytesSent, ', delivered', (bridge.delivered * 100).toFixed(1) + '%')
  log('bridge mode, every frame through ASGI (DIRECT_WRITES=0)')
  const asgi = await bridgeMode(seconds, 0, { DIRECT_WRITES: '0' }, 'backend-bridge-asgi')
  log('bridge (ASGI writes): cpu', asgi.active.cpuSeconds.toFixed(2), 's, delivered', (asgi.delivered * 100).toFixed(1) + '%')
  log('polling mode:', ROOMS * PER_ROOM, 'pollers every', POLL_MS, 'ms')
  const polling = await pollingMode(seconds, idleSeconds)
  log('polling: cpu', polling.active.cpuSeconds.toFixed(2), 's, bytes', polling.active.bytesSent, ',', polling.polls, 'polls,', polling.failures, 'failures')
  for (const [name, mode] of [['bridge', bridge], ['bridge (ASGI writes)', asgi]]) {
    if (mode.delivered < 0.999) throw new Error(name + ' mode delivered only ' + (mode.delivered * 100).toFixed(1) + '% of the room events')
  }
  if (bridge.active.stats.ws_frames_direct === 0) throw new Error('bridge mode wrote no frame directly: the direct path did not engage')

  const b = bridge.active
  const p = polling.active
  const lower = (base, ours) => (ours > 0 ? base / ours : Infinity)
  const lowerText = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x) : x.toFixed(1)) + '× lower' : '∞× lower')
  const setup = ROOMS * PER_ROOM + ' clients, ' + ROOMS + ' rooms, ~' + EVENTS_PER_S + ' events/s, ' + seconds + ' s'
  const perFrame = (m) => (m.cpuSeconds * 1000) / (m.stats.ws_frames_sent + m.stats.ws_frames_received)
  const detail = {
    clients: ROOMS * PER_ROOM, rooms: ROOMS, eventsPerSecond: EVENTS_PER_S, pollMs: POLL_MS, seconds, idleSeconds,
    bridge: { active: b, idle: bridge.idle, delivered: bridge.delivered },
    bridgeAsgi: { active: asgi.active, delivered: asgi.delivered },
    polling: { active: p, idle: polling.idle, failures: polling.failures },
  }
  const cpuRatio = lower(p.cpuSeconds, b.cpuSeconds)
  const frameRatio = lower(perFrame(asgi.active), perFrame(b))
  // On a busy machine the server may not keep up with 250 requests/s: the measured polling cost is then a floor.
  const nominal = (ROOMS * PER_ROOM * 1000) / POLL_MS
  const pollRate = p.stats.http_requests / p.seconds
  const nominalCpu = (p.cpuSeconds * nominal) / pollRate
  const bytesRatio = lower(p.bytesSent, b.bytesSent)
  const idleHeartbeatsOnly = bridge.idle.stats.http_requests === 0 && bridge.idle.stats.ws_frames_sent <= bridge.idle.stats.ws_frames_received
  return [
    row({
      id: 'backend.cpu', bench: 'backend-load', what: 'server CPU seconds, polling vs bridge (' + setup + ')',
      baseline: { label: 'polling', value: p.cpuSeconds, unit: 's' }, ours: { label: 'bridge', value: b.cpuSeconds, unit: 's' },
      ratio: cpuRatio, ratioText: lowerText(cpuRatio), goal: '≥ 25× lower (aim 100×)', pass: cpuRatio >= 25,
      note: 'server process utime+stime; polling ran at ' + Math.round(pollRate) + ' req/s (nominal ' + nominal + (pollRate < nominal * 0.95 ? ': at the nominal rate polling would cost ' + nominalCpu.toFixed(2) + ' s, ' + lowerText(nominalCpu / b.cpuSeconds) : '') +
        '); CPU per HTTP request ' + ((p.cpuSeconds / p.stats.http_requests) * 1000).toFixed(2) + ' ms, per WS frame in or out ' + perFrame(b).toFixed(3) + ' ms',
      detail,
    }),
    row({
      id: 'backend.frame', bench: 'backend-load', what: 'server CPU per WS frame in or out, every frame through ASGI (DIRECT_WRITES=0) vs one frame per event written to each socket',
      baseline: { label: 'ASGI', value: perFrame(asgi.active), unit: 'ms', digits: 3 }, ours: { label: 'direct', value: perFrame(b), unit: 'ms', digits: 3 },
      ratio: frameRatio, ratioText: lowerText(frameRatio), pass: null,
      note: 'same bridges, same events, a fresh server each; ' + b.stats.ws_frames_direct + ' of ' + b.stats.ws_frames_sent + ' frames out went direct; ASGI: ' + asgi.active.cpuSeconds.toFixed(2) + ' s of CPU',
    }),
    row({
      id: 'backend.bytes', bench: 'backend-load', what: 'bytes the server sent (HTTP bodies + WS payloads), polling vs bridge',
      baseline: { label: 'polling', value: p.bytesSent / 1e6, unit: 'MB', digits: 3 }, ours: { label: 'bridge', value: b.bytesSent / 1e6, unit: 'MB', digits: 3 },
      ratio: bytesRatio, ratioText: lowerText(bytesRatio), goal: '≥ 25× lower (aim 100×)', pass: bytesRatio >= 25,
      note: 'payload bytes as /stats counts them: no HTTP headers, no WS framing or compression',
    }),
    row({
      id: 'backend.handled', bench: 'backend-load', what: 'requests + frames the server handled, polling vs bridge',
      baseline: { label: 'polling', value: p.handled, unit: '' }, ours: { label: 'bridge', value: b.handled, unit: '' },
      ratio: lower(p.handled, b.handled), ratioText: lowerText(lower(p.handled, b.handled)), pass: null,
      note: 'polling: ' + p.stats.http_requests + ' HTTP requests; bridge: ' + b.stats.ws_frames_received + ' WS frames in, ' + b.stats.ws_frames_sent + ' out, ' + b.stats.http_requests + ' HTTP',
    }),
    row({
      id: 'backend.idle', bench: 'backend-load', what: 'idle rooms (' + idleSeconds + ' s, no events): server CPU s and frames/requests',
      baseline: { label: 'polling', value: polling.idle.cpuSeconds, unit: 's' }, ours: { label: 'bridge', value: bridge.idle.cpuSeconds, unit: 's' },
      ratio: lower(polling.idle.cpuSeconds, bridge.idle.cpuSeconds), ratioText: lowerText(lower(polling.idle.cpuSeconds, bridge.idle.cpuSeconds)),
      goal: 'bridge: heartbeats only', pass: idleHeartbeatsOnly,
      note: 'polling: ' + polling.idle.stats.http_requests + ' requests; bridge: ' + bridge.idle.stats.ws_frames_received + ' pings in, ' + bridge.idle.stats.ws_frames_sent + ' frames out, ' + bridge.idle.stats.http_requests + ' HTTP',
    }),
  ]
}
