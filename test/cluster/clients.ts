// Node bridges for the cluster cases: the package's ESM entry (dist/index.mjs) with
// `ws` and memory storage, each recording what its listeners got and when its
// socket went down and came back. Build first: npm run build.
import WebSocket from 'ws'
import { connect, memoryStorage } from '../../dist/index.mjs'
import type { Bridge, ConnectOptions, Message, WebSocketClass } from '../../src/index'

export interface Client {
  readonly name: string
  readonly room: string
  readonly bridge: Bridge
  /** Ids delivered to the listeners, and `reset:<resume>` where a reset came, in order. */
  readonly got: string[]
  readonly resets: Array<{ since: string | null; resume: string; reason: string }>
  /** Date.now() of each state change. */
  readonly states: Array<{ state: string; at: number }>
  /** Date.now() at which each id arrived (for delivery latency). */
  readonly arrivals: Map<string, number>
  /** Publish-to-delivery times (ms) of events that carry the publisher's `t`, with when they arrived. */
  readonly latencies: Array<{ at: number; ms: number }>
}

/** A `ws` socket whose reading can be paused: a consumer that stops reading, as a frozen tab does. */
export class PausableSocket extends WebSocket {
  private get tcp(): { pause(): void; resume(): void } {
    return (this as unknown as { _socket: { pause(): void; resume(): void } })._socket
  }
  pauseReading(): void {
    this.tcp.pause()
  }
  resumeReading(): void {
    this.tcp.resume()
  }
}

export function startClient(base: string, room: string, name: string, options: Partial<ConnectOptions> = {}): Client {
  const url = base.replace(/^http/, 'ws') + '/ws/' + room + '/' + name
  const bridge: Bridge = connect({
    url,
    room,
    WebSocket: WebSocket as unknown as WebSocketClass,
    storage: memoryStorage(),
    lifecycle: false,
    debug: false,
    retryDelay: 100,
    maxRetryDelay: 1000,
    jitter: 0.5,
    dedupWindow: 100000,
    ...options,
  })
  const client: Client = { name, room, bridge, got: [], resets: [], states: [], arrivals: new Map(), latencies: [] }
  bridge.on('message', (message: Message) => {
    const id = String(message.id)
    const now = Date.now()
    client.got.push(id)
    client.arrivals.set(id, now)
    if (typeof message.t === 'number') client.latencies.push({ at: now, ms: now - message.t })
  })
  bridge.on('reset', (reset) => {
    client.resets.push({ since: reset.since, resume: reset.resume, reason: reset.reason })
    client.got.push('reset:' + reset.resume)
  })
  bridge.on('status', (status, previous) => {
    if (status.state !== previous.state) client.states.push({ state: status.state, at: Date.now() })
  })
  return client
}

/** `perRoom` clients in each of `rooms`, named c<i>; started together. */
export function startClients(base: string, rooms: string[], perRoom: number, options: Partial<ConnectOptions> = {}): Client[] {
  const clients: Client[] = []
  for (let i = 0; i < perRoom; i++) for (const room of rooms) clients.push(startClient(base, room, 'c' + i, options))
  return clients
}

export const connected = (client: Client) => client.bridge.getStatus().state === 'connected'

/** The first time `client` entered `state` at or after `since`, or null. */
export const stateAfter = (client: Client, state: string, since: number) => client.states.find((s) => s.state === state && s.at >= since)?.at ?? null

export function closeAll(clients: Client[]): void {
  for (const client of clients) client.bridge.close()
}
