import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connect } from '../src/bridge/bridge'
import { memoryStorage } from '../src/storage/guarded'
import { NodeWebSocket, type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined

beforeEach(async () => {
  server = await new EventServer({ answerPings: true }).start()
})

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  await server.stop()
  vi.restoreAllMocks()
})

function open(options: Parameters<typeof startBridge>[0]) {
  current = startBridge(options)
  return current
}

describe('connect', () => {
  it('connects and reports connecting then connected, with old and new state', async () => {
    const { bridge, statuses } = open({ url: server.url + '/ws/r1/p1' })
    await eventually(() => bridge.getStatus().state === 'connected', 'connected')
    const changes = statuses.map(([now, old]) => old.state + '→' + now.state)
    expect(changes).toContain('connecting→connected')
    expect(bridge.ws?.readyState).toBe(1)
    expect(bridge.getStatus()).toMatchObject({ room: 'r1', transport: 'websocket', attempts: 0, lastError: null })
    expect(bridge.getStatus().connectedAt).toBeTypeOf('number')
  })

  it('emits a status event only for a change a listener acts on: the first one goes connecting → connected', async () => {
    const { bridge, statuses } = open({ url: server.url + '/ws/r1/p1' })
    await eventually(() => bridge.getStatus().state === 'connected', 'connected')
    expect(statuses.map(([now, old]) => old.state + '→' + now.state)).toEqual(['connecting→connected'])
    // The URL of the first attempt is in the status all the same.
    expect(statuses[0][1].url).toBe(server.url + '/ws/r1/p1')
  })

  it('delivers each message once, kept exactly as sent', async () => {
    const { bridge, messages } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    const sent = server.emit({ type: 'phase', phase: 'voting', payload: { round: 2 } })
    await eventually(() => messages.length === 1)
    expect(messages[0]).toEqual(sent)
    expect(bridge.getMessages()).toEqual([sent])
    expect(bridge.getStatus().counters).toMatchObject({ received: 1, stored: 1 })
    expect(bridge.getStatus().lastMessageAt).toBeTypeOf('number')
  })

  it('drops a duplicate id and counts it', async () => {
    const { bridge, messages } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    server.broadcast('{"id":"same","n":1}')
    server.broadcast('{"id":"same","n":2}')
    server.broadcast('{"id":"after"}')
    await eventually(() => messages.length === 2)
    expect(messages.map((m) => m.id)).toEqual(['same', 'after'])
    expect(messages[0].n).toBe(1)
    expect(bridge.getStatus().counters.duplicates).toBe(1)
  })

  it('survives frames that are not JSON objects, reporting each', async () => {
    const { bridge, messages, errors } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    for (const frame of ['{oops', '[1,2]', '42', 'null', '"text"']) server.broadcast(frame)
    server.broadcast(Buffer.from([1, 2, 3]))
    server.broadcast('{"id":"fine"}')
    await eventually(() => messages.length === 1)
    expect(messages).toEqual([{ id: 'fine' }])
    expect(bridge.getStatus().counters.invalid).toBe(6)
    expect(errors.filter((e) => e.kind === 'frame')).toHaveLength(6)
    expect(errors.map((e) => e.message)).toContain('ignored a binary frame')
    expect(bridge.getStatus().state).toBe('connected')
  })

  it('refuses a frame larger than maxFrameSize', async () => {
    const { bridge, messages, errors } = open({ url: server.url, maxFrameSize: 100 })
    await server.until(() => server.open.length === 1)
    server.broadcast(JSON.stringify({ id: 'big', text: 'x'.repeat(200) }))
    server.broadcast('{"id":"small"}')
    await eventually(() => messages.length === 1)
    expect(messages[0].id).toBe('small')
    expect(errors[0].message).toContain('maxFrameSize')
    expect(bridge.getStatus().counters.invalid).toBe(1)
  })

  it('keeps a throwing listener from stopping the feed', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { bridge, messages } = open({ url: server.url })
    bridge.on('message', () => {
      throw new Error('listener bug')
    })
    await server.until(() => server.open.length === 1)
    server.emit()
    server.emit()
    await eventually(() => messages.length === 2)
    expect(error).toHaveBeenCalledWith(expect.stringContaining('listener bug'))
  })

  it('stops delivering to a listener once it is removed', async () => {
    const { bridge, messages } = open({ url: server.url })
    const seen: unknown[] = []
    const off = bridge.on('message', (m) => seen.push(m))
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => messages.length === 1)
    off()
    server.emit()
    await eventually(() => messages.length === 2)
    expect(seen).toHaveLength(1)
  })

  it('fails at once, naming the option, on bad input', () => {
    expect(() => connect({ url: 'ws://h', room: '', WebSocket: NodeWebSocket })).toThrow('option "room"')
    expect(() => connect({ url: 'ws://h', room: 'r', WebSocket: NodeWebSocket, maxQueued: -1 })).toThrow('option "maxQueued"')
  })

  it('asks for a WebSocket class where there is none', () => {
    vi.stubGlobal('WebSocket', undefined)
    expect(() => connect({ url: 'ws://h', room: 'r' })).toThrow('pass options.WebSocket')
    vi.unstubAllGlobals()
  })
})

describe('reconnect and resume', () => {
  it('reconnects after a drop, telling the server the last id held, and drops replayed duplicates', async () => {
    const { bridge, messages, states } = open({ url: server.url + '/ws/r1/p1?token=t', retryDelay: 10 })
    await server.until(() => server.open.length === 1)
    server.emit()
    server.emit()
    await eventually(() => messages.length === 2)
    server.dropAll()
    server.emit() // missed while down, logged for replay
    await server.until(() => server.connections.length === 2)
    expect(server.connections[1].url.searchParams.get('since')).toBe('e2')
    await eventually(() => messages.length === 3)
    // The server replays everything when it does not know the id; nothing arrives twice.
    server.connections[1].socket.send(JSON.stringify(server.log[0]))
    server.emit()
    await eventually(() => messages.length === 4)
    expect(messages.map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4'])
    expect(states()).toContain('disconnected')
    expect(bridge.getStatus().lastCloseCode).toBe(1006)
    expect(bridge.getStatus().url).toBe(server.url + '/ws/r1/p1?token=***&since=e2')
  })

  it('uses the configured resume parameter, or none', async () => {
    const named = open({ url: server.url, resumeParam: 'after', retryDelay: 10 })
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => named.messages.length === 1)
    server.dropAll()
    await server.until(() => server.connections.length === 2)
    expect(server.connections[1].url.searchParams.get('after')).toBe('e1')
    named.bridge.close()
    await server.until(() => server.open.length === 0)

    const none = open({ url: server.url, resumeParam: false, retryDelay: 10, room: 'r2' })
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => none.messages.length === 1)
    server.dropAll()
    await server.until(() => server.connections.length === 4)
    expect(server.connections[3].url.search).toBe('')
  })

  it('uses the configured resume parameter, or none, on fallback polls too', async () => {
    server.options.refuseUpgrades = true
    server.emit()
    // A poll still out when the next is due is abandoned (and the next has no id yet), so on a busy
    // machine several polls may go before the first answer lands: what is checked is that each poll
    // sent before e1 arrived has no id, and each one sent after it resumes after e1. Each bridge
    // tags its polls, so a late poll of the first cannot be counted as the second's.
    const poll = (tag: string) => ({ fallbackUrl: server.httpUrl + '/events?bridge=' + tag, fallbackInterval: 20, retryDelay: 10 })
    const pollsOf = (tag: string) => server.polls.filter((url) => url.startsWith('/events?bridge=' + tag))
    const named = open({ url: server.url, resumeParam: 'after', ...poll('named') })
    await eventually(() => named.messages.length === 1)
    const before = pollsOf('named').length
    await server.until(() => pollsOf('named').length >= before + 2)
    expect(named.messages.map((m) => m.id)).toEqual(['e1'])
    expect(new Set(pollsOf('named').slice(0, before))).toEqual(new Set(['/events?bridge=named']))
    expect(new Set(pollsOf('named').slice(before))).toEqual(new Set(['/events?bridge=named&after=e1']))
    named.bridge.close()

    const none = open({ url: server.url, resumeParam: false, room: 'r2', ...poll('none') })
    await eventually(() => none.messages.length === 1)
    await server.until(() => pollsOf('none').length >= 3)
    expect(none.messages.map((m) => m.id)).toEqual(['e1'])
    expect(new Set(pollsOf('none'))).toEqual(new Set(['/events?bridge=none']))
  })

  it('takes the URL from an async provider on every attempt', async () => {
    let n = 0
    const { messages } = open({ url: async () => server.url + '/ws?token=t' + ++n, retryDelay: 10 })
    await server.until(() => server.open.length === 1)
    server.dropAll()
    await server.until(() => server.connections.length === 2)
    expect(server.connections.map((c) => c.url.searchParams.get('token'))).toEqual(['t1', 't2'])
    expect(messages).toEqual([])
  })

  it('accepts http(s) and relative-looking URLs only when they map to ws(s)', async () => {
    const { bridge } = open({ url: server.httpUrl + '/ws' })
    await eventually(() => bridge.getStatus().state === 'connected')
    expect(bridge.getStatus().url).toBe(server.url + '/ws')
  })

  it('reports a provider URL that is not a WebSocket URL and keeps retrying', async () => {
    let n = 0
    const { bridge, errors } = open({ url: () => (++n === 1 ? 'ftp://nope' : server.url), retryDelay: 10 })
    await eventually(() => bridge.getStatus().state === 'connected')
    expect(errors[0]).toMatchObject({ kind: 'connection' })
    expect(errors[0].message).toContain('not a ws:// or wss:// URL')
  })

  it('reconnect() drops the socket and dials again at once', async () => {
    const { bridge } = open({ url: server.url })
    await server.until(() => server.open.length === 1)
    bridge.reconnect()
    await server.until(() => server.connections.length === 2 && server.open.length === 1)
    await eventually(() => bridge.getStatus().state === 'connected')
  })

  it('surfaces the close code the server chose', async () => {
    const { bridge } = open({ url: server.url, retryDelay: 60000 })
    await server.until(() => server.open.length === 1)
    server.open[0].socket.close(1008, 'rate limit')
    await eventually(() => bridge.getStatus().state === 'disconnected')
    expect(bridge.getStatus().lastCloseCode).toBe(1008)
  })
})

describe('send', () => {
  it('sends at once when open, strings as they are and values as JSON', async () => {
    const { bridge } = open({ url: server.url })
    await eventually(() => bridge.getStatus().state === 'connected')
    expect(bridge.send({ type: 'message', text: 'hi' })).toBe('sent')
    expect(bridge.send('raw')).toBe('sent')
    await server.until(() => server.connections[0].received.length === 2)
    expect(server.connections[0].received).toEqual(['{"type":"message","text":"hi"}', 'raw'])
  })

  it('queues while disconnected and flushes in order on open', async () => {
    const { bridge } = open({ url: server.url })
    expect(bridge.send({ n: 1 })).toBe('queued')
    expect(bridge.send({ n: 2 })).toBe('queued')
    await server.until(() => server.connections[0]?.received.length === 2)
    expect(server.connections[0].received).toEqual(['{"n":1}', '{"n":2}'])
  })

  it('drops past maxQueued and counts it', () => {
    const { bridge } = open({ url: server.url, maxQueued: 2 })
    expect([bridge.send(1), bridge.send(2), bridge.send(3)]).toEqual(['queued', 'queued', 'dropped'])
    expect(bridge.getStatus().counters.dropped).toBe(1)
  })

  it('refuses what cannot be sent, with a clear error', () => {
    const { bridge } = open({ url: server.url })
    const circular: { self?: unknown } = {}
    circular.self = circular
    expect(() => bridge.send(circular)).toThrow('send() takes a string, binary or a JSON value')
    expect(() => bridge.send(() => 1)).toThrow(TypeError)
    expect(() => bridge.send(undefined)).toThrow(TypeError)
  })

  it('drops after close()', () => {
    const { bridge } = open({ url: server.url })
    bridge.close()
    expect(bridge.send('late')).toBe('dropped')
  })
})

describe('close', () => {
  it('closes the socket, stores the closed state, and ignores a second call', async () => {
    const storage = memoryStorage()
    const { bridge, statuses } = open({ url: server.url, storage })
    await server.until(() => server.open.length === 1)
    bridge.close()
    bridge.close()
    await server.until(() => server.open.length === 0)
    expect(bridge.getStatus().state).toBe('closed')
    expect(JSON.parse(storage.getItem('ws_status_r1') as string).state).toBe('closed')
    expect(statuses.filter(([s]) => s.state === 'closed')).toHaveLength(1)
    expect(server.connections).toHaveLength(1)
  })
})

describe('many rooms', () => {
  it('gives each room its own bridge and keys', async () => {
    const storage = memoryStorage()
    const a = connect({ url: server.url + '/ws/a', room: 'a', WebSocket: NodeWebSocket, storage, flushDelay: 0 })
    const b = connect({ url: server.url + '/ws/b', room: 'b', WebSocket: NodeWebSocket, storage, flushDelay: 0 })
    try {
      await server.until(() => server.open.length === 2)
      for (const c of server.open) c.socket.send(JSON.stringify({ id: c.url.pathname }))
      await eventually(() => a.getMessages().length === 1 && b.getMessages().length === 1)
      a.close()
      b.close()
      expect(JSON.parse(storage.getItem('ws_messages_a') as string)).toEqual([{ id: '/ws/a' }])
      expect(JSON.parse(storage.getItem('ws_messages_b') as string)).toEqual([{ id: '/ws/b' }])
      expect(JSON.parse(storage.getItem('ws_status_a') as string).room).toBe('a')
    } finally {
      a.close()
      b.close()
    }
  })
})
