// Row 10's peer: a Node socket.io server broadcasting each event to one room, as a
// socket.io app does it (`io.to(room).emit`). Every socket joins the room 'fan' on
// connect; `POST /publish` takes the event as a JSON body and emits it as 'fan'.
// WebSocket transport only (no long-polling upgrade: our clients speak engine.io v4
// over a WebSocket from the start) and no deflate, as our server runs.
//   node bench/lib/fanout-peer.mjs     # prints READY http://127.0.0.1:<port>
import { createServer } from 'node:http'
import { createRequire } from 'node:module'

let Server
try {
  ;({ Server } = createRequire(import.meta.url)('socket.io'))
} catch (err) {
  console.error('row 10 needs socket.io, a devDependency of this repository: run npm ci (' + err.message + ')')
  process.exit(2)
}

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') return // socket.io answers its own paths
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    io.to('fan').emit('fan', JSON.parse(Buffer.concat(chunks).toString()))
    res.writeHead(204).end()
  })
})
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })
io.on('connection', (socket) => socket.join('fan'))
http.listen(0, '127.0.0.1', () => console.log('READY http://127.0.0.1:' + http.address().port))
process.on('SIGTERM', () => process.exit(0))
