import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

export interface TestEvent {
  id: string
  type: string
  [field: string]: unknown
}

export interface Connection {
  socket: WebSocket
  url: URL
  /** Frames the client sent on this connection, as text. */
  received: string[]
}

export interface ServerOptions {
  /** Answer {"type":"ping"} with {"type":"pong"} (a heartbeat-aware server). */
  answerPings?: boolean
  /** Extra HTTP routes (fallback polling); return true when handled. */
  http?: (req: IncomingMessage, res: ServerResponse, server: EventServer) => boolean
  /** Refuse WebSocket upgrades (the socket is "down") while true. */
  refuseUpgrades?: boolean
  port?: number
}

/**
 * A real ws server shaped like the example backend: a replay log answering
 * ?since=<id>, broadcast to every connection, and an HTTP GET /events?since=
 * for fallback polling. Tests drive it directly.
 */
export class EventServer {
  readonly log: TestEvent[] = []
  readonly connections: Connection[] = []
  readonly upgrades: string[] = []
  readonly polls: string[] = []
  private http!: Server
  private wss!: WebSocketServer
  private seq = 0
  private waiters: Array<() => void> = []
  port = 0

  constructor(public options: ServerOptions = {}) {}

  async start(port = this.options.port || 0): Promise<this> {
    this.http = createServer((req, res) => this.handleHttp(req, res))
    this.wss = new WebSocketServer({ noServer: true })
    this.http.on('upgrade', (req, socket, head) => {
      this.upgrades.push(req.url || '')
      // A client that gives up mid-handshake resets the socket; that is no test failure.
      socket.on('error', () => {})
      if (this.options.refuseUpgrades) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n')
        this.notify()
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req))
    })
    await new Promise<void>((resolve) => this.http.listen(port, '127.0.0.1', resolve))
    this.port = (this.http.address() as AddressInfo).port
    return this
  }

  get url(): string {
    return 'ws://127.0.0.1:' + this.port
  }

  get httpUrl(): string {
    return 'http://127.0.0.1:' + this.port
  }

  get open(): Connection[] {
    return this.connections.filter((c) => c.socket.readyState === 1)
  }

  private accept(socket: WebSocket, req: IncomingMessage) {
    const url = new URL(req.url || '/', this.httpUrl)
    const connection: Connection = { socket, url, received: [] }
    this.connections.push(connection)
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : String(data)
      connection.received.push(text)
      if (this.options.answerPings && text === '{"type":"ping"}') socket.send('{"type":"pong"}')
      this.notify()
    })
    socket.on('close', () => this.notify())
    for (const event of this.after(url.searchParams.get('since'))) socket.send(JSON.stringify(event))
    this.notify()
  }

  /** Logged events after `since` (all of them when the id is unknown). */
  after(since: string | null): TestEvent[] {
    if (since === null) return []
    const at = this.log.findIndex((e) => e.id === since)
    return at < 0 ? this.log.slice() : this.log.slice(at + 1)
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse) {
    if (this.options.http && this.options.http(req, res, this)) return
    const url = new URL(req.url || '/', this.httpUrl)
    if (url.pathname === '/events') {
      this.polls.push(req.url || '')
      const since = url.searchParams.get('since')
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
      res.end(JSON.stringify(since === null ? this.log : this.after(since)))
      this.notify()
      return
    }
    res.writeHead(404)
    res.end()
  }

  /** Logs an event and pushes it to every open connection. */
  emit(fields: Partial<TestEvent> = {}): TestEvent {
    const event: TestEvent = { id: 'e' + ++this.seq, type: 'message', ...fields }
    this.log.push(event)
    this.broadcast(JSON.stringify(event))
    return event
  }

  /** Sends a raw frame to every open connection, without logging it. */
  broadcast(frame: string | Buffer) {
    for (const c of this.open) c.socket.send(frame)
  }

  /** Drops every connection abruptly, as a crash or a network cut would. */
  dropAll() {
    for (const c of this.connections) c.socket.terminate()
  }

  /** Resolves once `check` holds, re-checked on every server event (no fixed sleeps). */
  until(check: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const test = () => {
        if (!check()) return false
        resolve()
        return true
      }
      if (test()) return
      const waiter = () => {
        if (test()) this.waiters = this.waiters.filter((w) => w !== waiter)
      }
      this.waiters.push(waiter)
    })
  }

  private notify() {
    for (const waiter of this.waiters.slice()) waiter()
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.terminate()
    this.wss.close()
    this.http.closeAllConnections()
    await new Promise<void>((resolve) => this.http.close(() => resolve()))
  }
}

/** Polls `check` on the event loop until it holds; for client-side state the server cannot see. */
export async function eventually(check: () => boolean, what = 'condition', limitMs = 15000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 5))
  }
}
