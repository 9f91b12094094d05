// A small TCP fault proxy for the network fault suite: browser → proxy → server.
// Modes apply to every link, the open ones and the ones accepted later:
//   pass       forward both ways;
//   reset      RST every link (socket.resetAndDestroy()), and every new one at once;
//   blackhole  forward nothing either way and keep the sockets open (a half-open
//              link); swallowed bytes are dropped and counted, so a blackholed
//              link's stream is broken and restore() resets it;
//   delay N    forward each chunk N ms late, in order.
// It reads WebSocket frame headers in both directions (not payloads: they may be
// compressed), so a test can tell which pings a link swallowed and when the
// client gave up on it.
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'

export type Mode = { kind: 'pass' } | { kind: 'reset' } | { kind: 'blackhole' } | { kind: 'delay'; ms: number }

export type Direction = 'up' | 'down' // up: client → server, down: server → client

export interface Frame {
  direction: Direction
  /** 1 text, 2 binary, 0 continuation, 8 close, 9 ping, 10 pong. */
  opcode: number
  /** Close code of a close frame whose payload was readable, else null. */
  closeCode: number | null
  /** Forwarded (now or late) or swallowed by a blackhole. */
  fate: 'forwarded' | 'swallowed'
  at: number
}

export interface Link {
  readonly id: number
  /** Date.now() when the client connected. */
  readonly openedAt: number
  readonly frames: Frame[]
  swallowedBytes: number
  /** How this link ended: null while open. */
  ended: null | 'client' | 'server' | 'reset' | 'refused'
}

/** Splits one direction of a WebSocket stream (HTTP head, then frames) into frame headers. */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0)
  private inHead = true
  private skip = 0

  constructor(
    private onFrame: (opcode: number, closeCode: number | null) => void,
    private onHead: () => void = () => {},
  ) {}

  push(chunk: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buffer.length)
        this.skip -= n
        this.buffer = this.buffer.subarray(n)
        if (this.skip > 0) return
      }
      if (this.inHead) {
        const end = this.buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        this.inHead = false
        this.buffer = this.buffer.subarray(end + 4)
        this.onHead()
        continue
      }
      if (this.buffer.length < 2) return
      const opcode = this.buffer[0] & 0x0f
      const masked = (this.buffer[1] & 0x80) !== 0
      let length = this.buffer[1] & 0x7f
      let offset = 2
      if (length === 126) {
        if (this.buffer.length < 4) return
        length = this.buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (this.buffer.length < 10) return
        length = Number(this.buffer.readBigUInt64BE(2))
        offset = 10
      }
      const maskAt = offset
      if (masked) offset += 4
      if (this.buffer.length < offset) return
      let closeCode: number | null = null
      if (opcode === 8 && length >= 2 && this.buffer.length >= offset + 2) {
        const code = Buffer.from(this.buffer.subarray(offset, offset + 2))
        if (masked) for (let i = 0; i < 2; i++) code[i] ^= this.buffer[maskAt + i]
        closeCode = code.readUInt16BE(0)
      }
      this.onFrame(opcode, closeCode)
      this.buffer = this.buffer.subarray(offset)
      this.skip = length
    }
  }
}

export class FaultProxy {
  readonly links: Link[] = []
  private server!: Server
  private mode: Mode = { kind: 'pass' }
  private armed = false
  /** Set by blackholeAfterHandshake(): the link whose handshake switched the blackhole on, and when. */
  autoBlackholed: { link: Link; at: number } | null = null
  private sockets = new Map<Link, { client: Socket; upstream: Socket }>()
  // Per destination socket: chunks waiting out a delay, in arrival order, drained by one timer.
  private queues = new Map<Socket, { items: Array<{ due: number; chunk: Buffer | null }>; timer: ReturnType<typeof setTimeout> | null }>()
  port = 0

  constructor(private target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client))
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  get url(): string {
    return 'ws://127.0.0.1:' + this.port
  }

  get current(): Mode {
    return this.mode
  }

  /** Links still open, oldest first. */
  get open(): Link[] {
    return this.links.filter((link) => link.ended === null)
  }

  /** RST every open link, and every link accepted until the mode changes. */
  reset() {
    this.mode = { kind: 'reset' }
    for (const link of this.open) this.kill(link)
  }

  /** Stop forwarding in both directions; sockets stay open. */
  blackhole() {
    this.mode = { kind: 'blackhole' }
  }

  /**
   * Blackhole as soon as the next link's handshake answer (HTTP 101) has been
   * forwarded: a connection that goes half-open before any ping was answered on it.
   */
  blackholeAfterHandshake() {
    this.armed = true
    this.autoBlackholed = null
  }

  /** Forward every chunk from now on `ms` late, order kept. */
  delay(ms: number) {
    this.mode = { kind: 'delay', ms }
  }

  /** Forward again. Links that swallowed bytes have a broken stream: they are reset. */
  restore() {
    this.mode = { kind: 'pass' }
    for (const link of this.open) if (link.swallowedBytes > 0) this.kill(link)
  }

  /** Frames of one link in one direction, optionally only those with this fate. */
  static frames(link: Link, direction: Direction, fate?: Frame['fate']): Frame[] {
    return link.frames.filter((f) => f.direction === direction && (!fate || f.fate === fate))
  }

  private accept(client: Socket) {
    const link: Link = { id: this.links.length + 1, openedAt: Date.now(), frames: [], swallowedBytes: 0, ended: null }
    this.links.push(link)
    client.setNoDelay(true)
    client.on('error', () => {})
    if (this.mode.kind === 'reset') {
      link.ended = 'reset'
      client.resetAndDestroy()
      return
    }
    const upstream = connect(this.target.port, this.target.host)
    upstream.setNoDelay(true)
    this.sockets.set(link, { client, upstream })
    let upstreamOpen = false
    upstream.on('connect', () => (upstreamOpen = true))
    upstream.on('error', () => {
      if (!upstreamOpen && link.ended === null) {
        // The server is down: the client sees its connection refused (reset).
        link.ended = 'refused'
        this.sockets.delete(link)
        client.resetAndDestroy()
      }
    })
    this.pipe(link, client, upstream, 'up')
    this.pipe(link, upstream, client, 'down')
    const ended = (by: 'client' | 'server') => () => {
      if (link.ended === null) link.ended = by
      this.sockets.delete(link)
    }
    client.on('close', ended('client'))
    upstream.on('close', ended('server'))
  }

  private pipe(link: Link, from: Socket, to: Socket, direction: Direction) {
    let fate: Frame['fate'] = 'forwarded'
    const reader = new FrameReader(
      (opcode, closeCode) => link.frames.push({ direction, opcode, closeCode, fate, at: Date.now() }),
      () => {
        if (direction !== 'down' || !this.armed) return
        // The chunk holding the head goes through; everything after it is swallowed.
        this.armed = false
        queueMicrotask(() => {
          this.mode = { kind: 'blackhole' }
          this.autoBlackholed = { link, at: Date.now() }
        })
      },
    )
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode
      fate = mode.kind === 'blackhole' ? 'swallowed' : 'forwarded'
      reader.push(chunk)
      if (mode.kind === 'blackhole') {
        link.swallowedBytes += chunk.length
        return
      }
      this.send(to, chunk, mode.kind === 'delay' ? mode.ms : 0)
    })
    // A clean end passes on (after any delayed data) unless the link is blackholed: then the FIN is swallowed too.
    from.on('end', () => {
      if (this.mode.kind !== 'blackhole') this.send(to, null, 0)
    })
    // An abrupt close (RST from the other side, server killed) is passed on as an RST.
    from.on('close', (hadError) => {
      if (hadError && !to.destroyed) to.resetAndDestroy()
    })
  }

  /** Writes `chunk` (null: end) to `to` after `wait` ms, never before anything queued earlier. */
  private send(to: Socket, chunk: Buffer | null, wait: number) {
    let queue = this.queues.get(to)
    if (!queue) this.queues.set(to, (queue = { items: [], timer: null }))
    if (queue.items.length === 0 && wait === 0) return this.write(to, chunk)
    const last = queue.items.length ? queue.items[queue.items.length - 1].due : 0
    queue.items.push({ due: Math.max(Date.now() + wait, last), chunk })
    if (!queue.timer) this.drain(to)
  }

  private drain(to: Socket) {
    const queue = this.queues.get(to)
    if (!queue) return
    queue.timer = null
    while (queue.items.length && queue.items[0].due <= Date.now()) this.write(to, (queue.items.shift() as { chunk: Buffer | null }).chunk)
    if (queue.items.length) queue.timer = setTimeout(() => this.drain(to), queue.items[0].due - Date.now())
  }

  private write(to: Socket, chunk: Buffer | null) {
    if (to.destroyed) return
    if (chunk) to.write(chunk)
    else to.end()
  }

  private kill(link: Link) {
    const pair = this.sockets.get(link)
    link.ended = 'reset'
    this.sockets.delete(link)
    if (!pair) return
    if (!pair.client.destroyed) pair.client.resetAndDestroy()
    if (!pair.upstream.destroyed) pair.upstream.resetAndDestroy()
  }

  async stop(): Promise<void> {
    for (const queue of this.queues.values()) if (queue.timer) clearTimeout(queue.timer)
    this.queues.clear()
    for (const link of this.open) this.kill(link)
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
