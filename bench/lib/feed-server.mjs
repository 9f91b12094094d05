// One in-process HTTP + WebSocket server on 127.0.0.1 for the browser benchmarks:
// it serves bench/pages/* and the built script tag (cross-origin isolated, so
// performance.now() has 5 µs resolution instead of 100 µs), and on /ws:
//   "go:<n>:<prefix>"        → floods n prepared ~230-byte event frames (ids <prefix>0…), as fast as ws writes
//   {"type":"echo","seq":k}  → answers one event frame carrying seq k (unique id per connection)
//   "chunk:<from>:<n>"       → sends frames from..from+n-1 (the memory benchmark walks a long stream in steps)
// Anything else (the bridge's {"type":"ping"}) is ignored, like a plain server.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { WebSocketServer } from 'ws'
import { BENCH, DIST } from './common.mjs'

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' }
const TEXT = 'the quick brown fox jumps over the lazy dog, then votes for the wolf; '.repeat(2)

/** A game-shaped event frame of about 230 bytes with a unique id. */
export function eventFrame(i, prefix = 'm') {
  const head = '{"id":"' + prefix + i + '","type":"message","room":"bench","ts":' + (1763770000000 + i) + '.5,"player":"ann","text":"'
  return head + TEXT.slice(0, 230 - head.length - 2) + '"}'
}

export class FeedServer {
  constructor() {
    this.connections = 0
    this.frames = new Map() // "n:prefix" → prepared frames 0..n-1
    this.reports = new Map() // run id → { promise, resolve }
  }

  /** The report a page POSTs to /report?run=<id> (pages/feed.js ?auto=…). */
  report(run) {
    let entry = this.reports.get(run)
    if (!entry) {
      let resolve
      const promise = new Promise((r) => (resolve = r))
      entry = { promise, resolve }
      this.reports.set(run, entry)
    }
    return entry
  }

  prepared(n, prefix = 'm') {
    let list = this.frames.get(n + ':' + prefix)
    if (!list) {
      list = Array.from({ length: n }, (_, i) => eventFrame(i, prefix))
      this.frames.set(n + ':' + prefix, list)
    }
    return list
  }

  async start() {
    this.http = createServer((req, res) => {
      const url = new URL(req.url || '/', 'http://127.0.0.1')
      const path = url.pathname
      if (path === '/report' && req.method === 'POST') {
        const chunks = []
        req.on('data', (c) => chunks.push(c))
        req.on('end', () => {
          res.writeHead(204)
          res.end()
          this.report(url.searchParams.get('run')).resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        })
        return
      }
      let file = null
      if (path === '/dist/ws-bridge.min.js') file = DIST.script
      else if (path.startsWith('/pages/')) file = join(BENCH, normalize(path).replace(/^(\.\.[/\\])+/, ''))
      let body
      try {
        body = file && readFileSync(file)
      } catch {
        body = null
      }
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found')
        return
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      })
      res.end(body)
    })
    this.wss = new WebSocketServer({ noServer: true })
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {})
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws))
    })
    await new Promise((r) => this.http.listen(0, '127.0.0.1', r))
    this.port = this.http.address().port
    return this
  }

  get origin() {
    return 'http://127.0.0.1:' + this.port
  }

  accept(ws) {
    const conn = ++this.connections
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const text = String(data)
      if (text.startsWith('go:')) {
        const [n, prefix] = text.slice(3).split(':')
        for (const frame of this.prepared(Number(n), prefix)) ws.send(frame)
      } else if (text.startsWith('chunk:')) {
        const [from, n] = text.slice(6).split(':').map(Number)
        for (let i = from; i < from + n; i++) ws.send(eventFrame(i))
      } else if (text.startsWith('{"type":"echo"')) {
        const { seq } = JSON.parse(text)
        const head = '{"id":"c' + conn + '-' + seq + '","type":"echo","seq":' + seq + ',"room":"bench","ts":' + Date.now() + ',"text":"'
        ws.send(head + TEXT.slice(0, 230 - head.length - 2) + '"}')
      }
    })
  }

  async stop() {
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
    this.http.closeAllConnections()
    await new Promise((r) => this.http.close(() => r()))
  }
}
