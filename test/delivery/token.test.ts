// @vitest-environment jsdom
// token_url in the browser (src/delivery/token.ts, through the
// delivery core every host component shares): a fresh token from the token route
// before every (re)connect and every fallback poll, `token=` on the socket,
// `token=` and `client=` on the poll, a failed fetch reported and retried
// with the backoff. A real HTTP + ws server stands in for the example server.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { readArgs } from '../../src/streamlit/protocol'
import { identityOf } from '../../src/delivery/batch'
import { type Delivery, openDelivery } from '../../src/delivery/delivery'
import { fetchToken, MAX_TOKEN_LENGTH, TOKEN_TIMEOUT_MS, withToken } from '../../src/delivery/token'
import { NodeWebSocket, type Recorded, startBridge } from '../helpers/bridge'
import { drain, settle, useFakeClock } from '../helpers/fake-time'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer
let recorded: Recorded | undefined
let room: Delivery | undefined

beforeAll(() => {
  // The page's WebSocket: jsdom's global one is Node's, whose events jsdom rejects.
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
})

afterEach(async () => {
  recorded?.bridge.close()
  room?.close()
  recorded = room = undefined
  sessionStorage.clear()
  vi.useRealTimers()
  await server?.stop()
})

const PREFIX = 'tok-secret-'

/** The example server's token route, GET /rooms/{room}/token?player=: tok-secret-1, -2, …; `answers` overrides the next ones. */
function tokenRoute(answers: Array<{ status: number; body: string }> = []) {
  const requests: string[] = []
  let issued = 0
  const http = (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.url || '').startsWith('/rooms/r1/token')) return false
    requests.push(req.url || '')
    const answer = answers.shift() || { status: 200, body: JSON.stringify({ token: PREFIX + ++issued, expires_at: 1e10 }) }
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(answer.body)
    return true
  }
  return { http, requests }
}

const tokensOf = (urls: string[]) => urls.map((url) => new URL(url, 'http://h').searchParams.get('token'))

describe('fetchToken', () => {
  it('answers the route’s token and refuses an answer without a usable one, naming the token request', async () => {
    const route = tokenRoute([
      { status: 500, body: 'down' },
      { status: 200, body: '{"token": 5}' },
      { status: 200, body: JSON.stringify({ token: 'x'.repeat(MAX_TOKEN_LENGTH + 1) }) },
      { status: 200, body: '["tok"]' },
      // A route that answers the bare token: the error must not quote it.
      { status: 200, body: PREFIX + 'plain' },
    ])
    server = await new EventServer({ http: route.http }).start()
    const url = server.httpUrl + '/rooms/r1/token?player=ann'
    await expect(fetchToken(url)).rejects.toThrow('token request failed: HTTP 500')
    await expect(fetchToken(url)).rejects.toThrow('token request failed: the answer has no "token" string')
    await expect(fetchToken(url)).rejects.toThrow('token request failed: the answer has no "token" string')
    await expect(fetchToken(url)).rejects.toThrow('token request failed: the answer has no "token" string')
    const plain = await fetchToken(url).catch((err: Error) => err.message)
    expect(plain).toBe('token request failed: the answer has no "token" string')
    await expect(fetchToken(url)).resolves.toBe(PREFIX + '1')
    expect(route.requests).toHaveLength(6)
  })

  it('gives up on a route that does not answer', async () => {
    useFakeClock()
    server = await new EventServer().start()
    const hanging = (_: unknown, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))
    const pending = fetchToken('http://h/token', hanging as typeof fetch)
    const outcome = expect(pending).rejects.toThrow('token request failed: no answer in ' + TOKEN_TIMEOUT_MS + ' ms')
    vi.advanceTimersByTime(TOKEN_TIMEOUT_MS)
    await outcome
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('withToken', () => {
  it('leaves the URL as it is without a token URL, and adds a fresh token (and the client) per call with one', async () => {
    const route = tokenRoute()
    server = await new EventServer({ http: route.http }).start()
    expect(withToken('ws://h/ws', null, 'ann')).toBe('ws://h/ws')
    const provider = withToken('http://h/rooms/r1/events?x=1', server.httpUrl + '/rooms/r1/token?player=ann', 'ann b')
    if (typeof provider !== 'function') throw new Error('expected a provider')
    expect(await provider()).toBe('http://h/rooms/r1/events?x=1&token=' + PREFIX + '1&client=ann+b')
    expect(await provider()).toBe('http://h/rooms/r1/events?x=1&token=' + PREFIX + '2&client=ann+b')
  })

  it('fetches a token before every connect, reports a failed fetch and retries it with the backoff', async () => {
    useFakeClock()
    const route = tokenRoute([{ status: 503, body: 'busy' }])
    server = await new EventServer({ http: route.http }).start()
    const url = withToken(server.url + '/ws/r1/ann', server.httpUrl + '/rooms/r1/token?player=ann', null)
    const r = (recorded = startBridge({ url, retryDelay: 1000 }))
    await settle(() => r.errors.length === 1, 'the failed token fetch')
    expect(r.errors).toEqual([{ kind: 'connection', message: 'no URL: token request failed: HTTP 503' }])
    expect(r.bridge.getStatus().retryAt).not.toBeNull()
    await drain()
    expect(route.requests).toHaveLength(1)
    vi.advanceTimersByTime(1000)
    await settle(() => server.open.length === 1, 'connected with a token')
    server.dropAll()
    await settle(() => {
      vi.advanceTimersByTime(100) // through the backoff wait
      return server.open.length === 1 && server.connections.length === 2
    }, 'reconnected')
    expect(tokensOf(server.upgrades)).toEqual([PREFIX + '1', PREFIX + '2'])
    expect(r.bridge.getStatus().url).toBe(server.url + '/ws/r1/ann?token=***')
  })
})

describe('openDelivery with a token URL (every host component)', () => {
  it('puts a fresh token on the socket and on each poll with the client, and keeps every token out of storage and _wsDebug', async () => {
    const route = tokenRoute()
    server = await new EventServer({ http: route.http, refuseUpgrades: true }).start()
    server.emit()
    const args = readArgs({
      url: server.url + '/ws/r1/ann',
      room: 'r1',
      fallback_url: server.httpUrl + '/events',
      token_url: server.httpUrl + '/rooms/r1/token?player=ann',
      player: 'ann',
      throttle_ms: 0,
    })
    expect(args).toMatchObject({ tokenUrl: server.httpUrl + '/rooms/r1/token?player=ann', player: 'ann' })
    room = openDelivery(args, { deliver: () => {}, paint: () => {}, debugWindow: window })
    await eventually(() => room?.bridge.getMessages().length === 1, 'the polled event')
    const poll = new URL(server.polls[0], server.httpUrl)
    expect(poll.searchParams.get('client')).toBe('ann')
    expect(poll.searchParams.get('token')).toMatch(new RegExp('^' + PREFIX))
    expect(tokensOf(server.upgrades)[0]).toMatch(new RegExp('^' + PREFIX))
    // Socket and poll each fetched their own token.
    const used = [...tokensOf(server.upgrades), ...tokensOf(server.polls)]
    expect(new Set(used).size).toBe(used.length)

    room.ledger.flush()
    const stored = JSON.stringify(Object.fromEntries(Object.keys(sessionStorage).map((key) => [key, sessionStorage.getItem(key)])))
    expect(stored).toContain('ws_status_r1')
    expect(stored).not.toContain(PREFIX)
    const debug = (window as unknown as { _wsDebug?: { ws: { url: string } | null } })._wsDebug
    expect(debug?.ws?.url).toBe(server.url + '/ws/r1/ann?token=***')
  })

  it('makes the token URL and the player part of the room’s identity', () => {
    const base = { url: 'ws://h/ws', room: 'r1' }
    expect(readArgs(base)).toMatchObject({ tokenUrl: null, player: null })
    expect(readArgs({ ...base, token_url: '', player: 5 })).toMatchObject({ tokenUrl: null, player: null })
    const ann = identityOf(readArgs({ ...base, token_url: 'http://h/t?player=ann', player: 'ann' }))
    expect(ann).not.toBe(identityOf(readArgs(base)))
    expect(ann).not.toBe(identityOf(readArgs({ ...base, token_url: 'http://h/t?player=bob', player: 'ann' })))
    expect(ann).not.toBe(identityOf(readArgs({ ...base, token_url: 'http://h/t?player=ann', player: 'bob' })))
  })
})
