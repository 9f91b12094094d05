// One of each hostile input against a running cluster (scripts/cluster.mjs: Redis with its
// password, 3 replicas, HAProxy with deploy/haproxy.cfg in front), as a stranger on the
// internet reaches it: through the balancer only. Each case asserts what happens and prints
// its figure; waits are on conditions, and the one time printed is never asserted.
// The replicas allow one Origin (APP); with an allow-list set, a client without an Origin is
// refused too, so every request here names one.
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Cluster, clusterTools, figure, startTestCluster, until } from './cluster-kit'
import { Publisher } from './publisher'

const TIMEOUT = 120000
const APP = 'https://app.example'
const EVIL = 'https://evil.example'

/** The close code and reason a socket through the balancer ends with (the handshake's status if refused). */
function closeOf(url: string, options: WebSocket.ClientOptions = {}, send?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ...options, maxPayload: 0 })
    ws.on('open', () => (send === undefined ? undefined : ws.send(send)))
    ws.on('unexpected-response', (_req, res) => resolve('HTTP ' + res.statusCode))
    ws.on('close', (code, reason) => resolve(code + ' ' + reason.toString()))
    ws.on('error', () => undefined) // the close (or the response) says what happened
  })
}

/** Sends a request line and half a header, then nothing: when does the other side hang up? */
function slowHeaders(port: number): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: '))
    socket.on('data', () => undefined)
    socket.on('error', () => undefined)
    socket.on('close', () => resolve(Date.now() - started))
  })
}

describe.skipIf(!clusterTools('the cluster hostile cases'))('hostile input against a cluster behind HAProxy', { timeout: TIMEOUT }, () => {
  let cluster: Cluster | null = null

  beforeAll(async () => {
    cluster = await startTestCluster({ env: { ALLOWED_ORIGINS: APP, MAX_SOCKETS_PER_ADDRESS: '2' } })
  }, TIMEOUT)
  afterAll(async () => {
    await cluster?.stop()
  }, TIMEOUT)

  it('refuses another origin on the socket and the poll, and serves the allowed one', async () => {
    const lb = (cluster as Cluster).lb.url
    const refusedPoll = await fetch(lb + '/rooms/h1/events', { headers: { origin: EVIL } })
    const servedPoll = await fetch(lb + '/rooms/h1/events', { headers: { origin: APP } })
    const socket = await closeOf(lb.replace('http', 'ws') + '/ws/h1/ann', { origin: EVIL })
    expect([refusedPoll.status, refusedPoll.headers.get('access-control-allow-origin')]).toEqual([403, null])
    expect([servedPoll.status, servedPoll.headers.get('access-control-allow-origin')]).toEqual([200, APP])
    expect(socket).toBe('HTTP 403')
    figure('through HAProxy, Origin ' + EVIL + ': poll 403 without CORS, socket ' + socket + '; ' + APP + ': poll 200')
  })

  it('keeps the operator routes and the publish endpoint behind the edge', async () => {
    const lb = (cluster as Cluster).lb.url
    const answers = {
      stats: (await fetch(lb + '/stats')).status,
      encodedStats: (await fetch(lb + '/%73tats')).status,
      admin: (await fetch(lb + '/admin/drop-connections', { method: 'POST' })).status,
      publish: (await fetch(lb + '/rooms/h2/events', { method: 'POST', body: '{"type":"t"}', headers: { 'content-type': 'application/json' } })).status,
    }
    expect(answers).toEqual({ stats: 403, encodedStats: 403, admin: 403, publish: 403 })
    figure('through HAProxy: /stats, /%73tats, POST /admin/drop-connections and the publish endpoint all 403 at the edge')
  })

  it('creates no Redis key for a flood of fresh room names', async () => {
    const c = cluster as Cluster
    const before = Number(await c.redisCommand('DBSIZE'))
    for (let i = 0; i < 200; i++) {
      const answer = await fetch(c.lb.url + '/rooms/flood' + i + '/events?since=0-0', { headers: { origin: APP } })
      expect(answer.status).toBe(200)
    }
    const after = Number(await c.redisCommand('DBSIZE'))
    expect(after).toBe(before)
    figure('200 polls of fresh room names through HAProxy: Redis keys ' + before + ' before, ' + after + ' after')
  })

  it('refuses a 12 MB frame with 1009 and keeps serving the room', async () => {
    const c = cluster as Cluster
    const url = c.lb.url.replace('http', 'ws') + '/ws/h3/ann'
    const code = await closeOf(url, { origin: APP }, 'x'.repeat(12_000_000))
    // 1009 as soon as the frame's header arrives; when the replica hangs up before this client has
    // finished writing, the close frame is lost in the reset (1006): refused unread either way.
    expect(code.startsWith('1009') || code.startsWith('1006')).toBe(true)
    const publisher = new Publisher(() => c.replicas[0].url, ['h3'], 20)
    await until(() => publisher.acked >= 5, 'the room to take events after it')
    await publisher.stop()
    const log = (await (await fetch(c.lb.url + '/rooms/h3/events', { headers: { origin: APP } })).json()) as Array<{ id: string }>
    // The room's own log (Redis's stream, through the poll) is the ground truth: every acked event, in order.
    const seqs = log.map((event) => Number(event.id.split('-')[1]))
    expect(log.length).toBeGreaterThanOrEqual(publisher.acked)
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))
    figure('a 12 MB frame through HAProxy: closed ' + code + '; the room then took ' + log.length + ' events, seqs 1..' + log.length + ' without a gap')
  })

  it('caps sockets per client address on each replica, from the address HAProxy forwards', async () => {
    const c = cluster as Cluster
    const url = c.lb.url.replace('http', 'ws') + '/ws/h4/ann'
    const sockets = Array.from({ length: 8 }, () => new WebSocket(url, { origin: APP }))
    const outcomes = await Promise.all(sockets.map((ws) => new Promise<string>((resolve) => {
      ws.on('close', (code) => resolve(String(code)))
      ws.on('message', () => undefined)
      ws.on('open', () => ws.send('{"type":"ping"}'))
      ws.on('message', (data) => (String(data).includes('pong') ? resolve('open') : undefined))
      ws.on('error', () => undefined)
    })))
    for (const ws of sockets) ws.close()
    const open = outcomes.filter((o) => o === 'open').length
    expect(open).toBe(6) // 2 per replica, 3 replicas
    expect(outcomes.filter((o) => o === '1013').length).toBe(2)
    figure('8 sockets from one address through HAProxy with 2 allowed per replica: ' + open + ' open, 2 closed 1013')
  })

  it('answers hostile names, since values, a 30,000-deep frame and a room named __proto__, never with an error', async () => {
    const lb = (cluster as Cluster).lb.url
    const ws = lb.replace('http', 'ws')
    const refusedPoll = await fetch(lb + '/rooms/a%0Ab/events', { headers: { origin: APP } })
    const names = { socket: await closeOf(ws + '/ws/a%7Bb%7D/ann', { origin: APP }), poll: refusedPoll.status }
    expect(names.socket).toMatch(/^1008 invalid room name: /)
    expect(names.poll).toBe(400)
    expect(((await refusedPoll.json()) as { error: string }).error).toMatch(/^invalid room name: /) // the replica's answer, not the edge's
    const since = new Map<string, string>() // a Map: '__proto__' is one of the keys
    for (const value of ['x'.repeat(10_000), '__proto__', '-1', '\u0000', 'constructor']) {
      const answer = await fetch(lb + '/rooms/__proto__/events?since=' + encodeURIComponent(value), { headers: { origin: APP } })
      expect(answer.status).toBe(200)
      const frames = (await answer.json()) as Array<{ type?: string; reason?: string }>
      since.set(value.slice(0, 12), frames[0]?.type === 'reset' ? 'reset ' + frames[0].reason : 'replay of ' + frames.length)
    }
    expect([...since.values()].every((answer) => answer.startsWith('reset ') || answer.startsWith('replay of '))).toBe(true)
    expect(since.size).toBe(5)
    // The room named __proto__ is a room like any other; a frame nested past any parser's depth gets an error frame.
    const replies = await new Promise<string[]>((resolve, reject) => {
      const socket = new WebSocket(ws + '/ws/__proto__/ann', { origin: APP })
      const got: string[] = []
      socket.on('open', () => {
        socket.send('['.repeat(30_000) + ']'.repeat(30_000))
        socket.send('{"type":"ping"}')
      })
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type?: string }
        if (frame.type !== 'error' && frame.type !== 'pong') return // the room's own events (the game announces joins)
        got.push(String(data))
        if (frame.type === 'pong') {
          socket.close()
          resolve(got)
        }
      })
      socket.on('close', (code) => (got.length < 2 ? reject(new Error('closed ' + code + ' after ' + JSON.stringify(got))) : undefined))
      socket.on('error', () => undefined)
    })
    expect(replies.map((r) => JSON.parse(r))).toEqual([{ type: 'error', error: 'invalid JSON' }, { type: 'pong' }])
    figure('through HAProxy: a room named a{b} → socket ' + names.socket.split(':')[0] + ', a room with LF → poll ' + names.poll +
      '; since values on __proto__ ' + JSON.stringify(Object.fromEntries(since)) + '; a 30,000-deep frame → an error frame, then the socket answered a ping')
  })

  it('cuts a client that sends its headers too slowly at the edge', async () => {
    const port = Number(new URL((cluster as Cluster).lb.url).port)
    const heldMs = await slowHeaders(port)
    expect(heldMs).toBeLessThan(60000) // closed by HAProxy's timeout http-request, not by this test
    figure('headers sent and never finished: HAProxy hung up after ' + (heldMs / 1000).toFixed(1) + ' s (timeout http-request 10s)')
  }, 90000)
})
