// A child process holding a share of row 10's sockets: raw `ws` clients that only count
// the event frames they get, so that the clients cost as little CPU as possible beside the
// server measured. Driven by bench/fanout.mjs through lib/client-pool.mjs, one command at a time:
//   { cmd: 'connect', kind, base, count, first, rooms } → { connected }   (rooms: ours's sockets
//     spread over rooms r0..r<rooms-1>, socket i in room i % rooms; without it all in room 'bench')
//   { cmd: 'count' } → { delivered, least, frameBytes }   (since the last reset)
//   { cmd: 'reset' } → {}
//   { cmd: 'close' } → { closed } and the process exits
// kind 'ours': the bridge's socket (/ws/bench/<player>); 'limit': the limit's /ws; 'sio':
// engine.io v4 over a WebSocket, spoken here (open '0' → connect '40', ping '2' → pong '3',
// events '42[...]'), which costs less than socket.io-client's parser and reconnect logic.
import WebSocket from 'ws'

const MARK = Buffer.from('"fan"') // in every event frame of the three servers, in no other frame
const sockets = []

function open(kind, base, index, rooms) {
  const ws = base.replace(/^http/, 'ws')
  const url = kind === 'ours' ? ws + '/ws/' + (rooms ? 'r' + (index % rooms) : 'bench') + '/p' + index : kind === 'limit' ? ws + '/ws' : ws + '/socket.io/?EIO=4&transport=websocket'
  const socket = new WebSocket(url, { perMessageDeflate: false })
  socket.got = 0
  socket.bytes = 0
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.on('message', (data) => {
      if (data.indexOf(MARK) !== -1) {
        socket.got++
        socket.bytes = data.length
      } else if (kind === 'sio') {
        const text = data.toString()
        if (text[0] === '0') socket.send('40') // engine.io open: join the default namespace
        else if (text === '2') socket.send('3')
        else if (text.startsWith('40')) resolve(socket) // in the namespace, so in the room
      }
    })
    if (kind !== 'sio') socket.once('open', () => resolve(socket))
  })
}

async function connect({ kind, base, count, first, rooms }) {
  // A hundred at a time: thousands of handshakes at once would only measure the listen backlog.
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => open(kind, base, first + i + j, rooms))
    sockets.push(...(await Promise.all(batch)))
  }
  return { connected: sockets.length }
}

const commands = {
  connect,
  count: () => ({
    delivered: sockets.reduce((n, s) => n + s.got, 0),
    least: Math.min(...sockets.map((s) => s.got)),
    frameBytes: Math.max(...sockets.map((s) => s.bytes)),
  }),
  reset() {
    for (const s of sockets) s.got = 0
    return {}
  },
  close() {
    for (const s of sockets) s.terminate()
    return { closed: sockets.length }
  },
}

process.on('message', async (m) => {
  try {
    const result = await commands[m.cmd](m)
    process.send({ ok: true, ...result }, () => m.cmd === 'close' && process.exit(0))
  } catch (err) {
    process.send({ ok: false, error: String(err && err.stack ? err.stack : err) })
  }
})
process.on('disconnect', () => process.exit(0)) // the parent is gone: never outlive it
