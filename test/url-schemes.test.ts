// @vitest-environment jsdom
// Which URLs the bridge dials, against real servers: http(s):// maps to ws(s)://
// (https reaches a real TLS server), relative URLs resolve against the page, and
// any other scheme is refused before a socket exists.
import { afterEach, describe, expect, it } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'
import { TrustingWebSocketClass, WssServer } from './helpers/wss-server'

const page = (globalThis as unknown as { jsdom: { reconfigure(settings: { url: string }): void } }).jsdom
let servers: Array<EventServer | WssServer> = []
let opened: Recorded[] = []

afterEach(async () => {
  for (const recorded of opened.splice(0)) recorded.bridge.close()
  for (const server of servers.splice(0)) await server.stop()
  page.reconfigure({ url: 'http://localhost:3000/' })
})

const open = (options: Parameters<typeof startBridge>[0]) => {
  const recorded = startBridge({ retryDelay: 10, ...options })
  opened.push(recorded)
  return recorded
}
const wsServer = async () => {
  const server = await new EventServer().start()
  servers.push(server)
  return server
}
const wssServer = async () => {
  const server = await new WssServer().start()
  servers.push(server)
  return server
}
const connected = (recorded: Recorded) => eventually(() => recorded.bridge.getStatus().state === 'connected', 'connected')

describe('URL schemes', () => {
  it('dials https:// as wss://, over TLS, to the same host, port, path and query', async () => {
    const server = await wssServer()
    const recorded = open({ url: 'https://127.0.0.1:' + server.port + '/ws/r1?token=t', WebSocket: TrustingWebSocketClass })
    await connected(recorded)
    await eventually(() => recorded.messages.length === 1, 'the hello sent over TLS')
    expect(server.urls).toEqual(['/ws/r1?token=t'])
    expect(recorded.bridge.getStatus().url).toBe('wss://127.0.0.1:' + server.port + '/ws/r1?token=***')
    expect(recorded.bridge.ws?.url).toBe('wss://127.0.0.1:' + server.port + '/ws/r1?token=t')
  })

  it('dials wss:// as given', async () => {
    const server = await wssServer()
    const recorded = open({ url: 'wss://127.0.0.1:' + server.port + '/ws', WebSocket: TrustingWebSocketClass })
    await connected(recorded)
    expect(server.urls).toEqual(['/ws'])
  })

  it('dials http:// as ws://', async () => {
    const server = await wsServer()
    const recorded = open({ url: server.httpUrl + '/ws/r1' })
    await connected(recorded)
    expect(server.connections.map((c) => c.url.pathname)).toEqual(['/ws/r1'])
    expect(recorded.bridge.getStatus().url).toBe(server.url + '/ws/r1')
  })

  it('resolves relative URLs against the page: root-relative, path-relative and scheme-relative', async () => {
    const server = await wsServer()
    page.reconfigure({ url: server.httpUrl + '/app/room.html?x=1' })
    const host = '127.0.0.1:' + server.port
    const cases: Array<[string, string]> = [
      ['/ws/a', 'ws://' + host + '/ws/a'],
      ['ws/b?p=1', 'ws://' + host + '/app/ws/b?p=***'],
      ['//' + host + '/ws/c', 'ws://' + host + '/ws/c'],
    ]
    for (const [index, [url, dialled]] of cases.entries()) {
      const recorded = open({ url, room: 'rel' + index })
      await connected(recorded)
      expect(recorded.bridge.getStatus().url).toBe(dialled)
    }
    expect(server.connections.map((c) => c.url.pathname + c.url.search)).toEqual(['/ws/a', '/app/ws/b?p=1', '/ws/c'])
  })

  it('resolves a relative URL on an https page to wss://', async () => {
    const server = await wssServer()
    page.reconfigure({ url: 'https://127.0.0.1:' + server.port + '/app/' })
    const recorded = open({ url: '/ws/secure', WebSocket: TrustingWebSocketClass })
    await connected(recorded)
    expect(server.urls).toEqual(['/ws/secure'])
    expect(recorded.bridge.getStatus().url).toBe('wss://127.0.0.1:' + server.port + '/ws/secure')
  })

  it('refuses every other scheme before opening a socket, reports it, and keeps trying', async () => {
    const server = await wsServer()
    const refused = ['ftp://127.0.0.1/ws', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:someone@example.com', 'data:text/plain,ws']
    let n = 0
    const recorded = open({ url: () => (n < refused.length ? refused[n++] : server.url + '/ws') })
    await connected(recorded)
    const connectionErrors = recorded.errors.filter((e) => e.kind === 'connection').map((e) => e.message)
    expect(connectionErrors).toEqual(refused.map((url) => 'no URL: not a ws:// or wss:// URL: ' + url))
    // Only the good URL was ever dialled.
    expect(server.upgrades).toEqual(['/ws'])
    expect(recorded.statuses.filter(([s]) => s.state === 'connecting').map(([s]) => s.url)).toEqual([server.url + '/ws'])
  })

  it('throws at once, naming the option, for a static URL of another scheme', () => {
    for (const url of ['ftp://127.0.0.1/ws', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(() => startBridge({ url }), url).toThrow('option "url" must be a ws(s):// or http(s):// URL, or one relative to the page')
    }
    // A token in a refused URL stays out of the message.
    expect(() => startBridge({ url: 'ftp://127.0.0.1/ws?token=secret' })).toThrow('token=***')
  })
})
