// The `protocols` option against a real ws server that negotiates: the bridge
// offers them on every attempt and the socket carries the one the server chose.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { type Recorded, startBridge } from './helpers/bridge'
import { eventually } from './helpers/ws-server'

let http: Server | undefined
let wss: WebSocketServer | undefined
let current: Recorded | undefined
/** What each handshake offered (Sec-WebSocket-Protocol), in order. */
let offered: Array<string | undefined> = []

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  for (const client of wss?.clients || []) client.terminate()
  wss?.close()
  http?.closeAllConnections()
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()))
  http = wss = undefined
})

/** A server that picks the last offered protocol it knows. */
async function negotiatingServer(known: string[]): Promise<string> {
  offered = []
  http = createServer()
  wss = new WebSocketServer({
    server: http,
    handleProtocols: (protocols) => [...protocols].reverse().find((p) => known.includes(p)) ?? false,
  })
  wss.on('connection', (_socket, req) => offered.push(req.headers['sec-websocket-protocol']))
  await new Promise<void>((resolve) => (http as Server).listen(0, '127.0.0.1', resolve))
  return 'ws://127.0.0.1:' + ((http as Server).address() as AddressInfo).port
}

describe('protocols', () => {
  it('offers every subprotocol on every attempt and uses the one the server chose', async () => {
    const url = await negotiatingServer(['chat.v1', 'chat.v2'])
    const recorded = (current = startBridge({ url, protocols: ['chat.v1', 'chat.v2', 'other'], retryDelay: 10 }))
    await eventually(() => recorded.bridge.getStatus().state === 'connected', 'connected')
    expect(offered).toEqual(['chat.v1,chat.v2,other'])
    expect(recorded.bridge.ws?.protocol).toBe('chat.v2')
    for (const client of wss?.clients || []) client.terminate()
    await eventually(() => offered.length === 2 && recorded.bridge.getStatus().state === 'connected', 'reconnected')
    expect(offered).toEqual(['chat.v1,chat.v2,other', 'chat.v1,chat.v2,other'])
    expect(recorded.bridge.ws?.protocol).toBe('chat.v2')
  })

  it('takes a single protocol as a string', async () => {
    const url = await negotiatingServer(['chat.v1'])
    const recorded = (current = startBridge({ url, protocols: 'chat.v1' }))
    await eventually(() => recorded.bridge.getStatus().state === 'connected', 'connected')
    expect(offered).toEqual(['chat.v1'])
    expect(recorded.bridge.ws?.protocol).toBe('chat.v1')
  })

  it('offers none by default', async () => {
    const url = await negotiatingServer(['chat.v1'])
    const recorded = (current = startBridge({ url }))
    await eventually(() => recorded.bridge.getStatus().state === 'connected', 'connected')
    expect(offered).toEqual([undefined])
    expect(recorded.bridge.ws?.protocol).toBe('')
  })
})
