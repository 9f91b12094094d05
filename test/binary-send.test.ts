// Binary send() against a real ws server: ArrayBuffer, typed arrays, DataView and
// Blob go out as binary frames with their bytes intact, and while disconnected
// they queue in order with text, as the README's "string, binary or JSON" says.
import { afterEach, describe, expect, it } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer | undefined
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  await server?.stop()
  server = undefined
})

/** Every frame each connection received, with its kind and bytes. */
function recordFrames(s: EventServer) {
  const frames: Array<{ connection: number; binary: boolean; bytes: number[] }> = []
  const hooked = new Set<unknown>()
  const hook = () => {
    s.connections.forEach((connection, index) => {
      if (hooked.has(connection)) return
      hooked.add(connection)
      connection.socket.on('message', (data, isBinary) => frames.push({ connection: index, binary: isBinary, bytes: [...(data as Buffer)] }))
    })
    return true
  }
  return { frames, hook }
}

const bytesOf = (text: string) => [...Buffer.from(text)]

describe('binary send', () => {
  it('sends ArrayBuffer, typed arrays, DataView and Blob as binary frames, bytes intact', async () => {
    server = await new EventServer().start()
    const s = server
    const { frames, hook } = recordFrames(s)
    const recorded = (current = startBridge({ url: s.url }))
    await eventually(() => hook() && recorded.bridge.getStatus().state === 'connected', 'connected')
    const buffer = new Uint8Array([0, 255, 1, 254]).buffer
    const sent = [
      recorded.bridge.send(buffer),
      recorded.bridge.send(new Uint8Array([7, 8, 9])),
      recorded.bridge.send(new Uint16Array([0x0102])),
      recorded.bridge.send(new DataView(new Uint8Array([10, 11, 12, 13]).buffer, 1, 2)),
      recorded.bridge.send(new Blob([new Uint8Array([42, 43])])),
      recorded.bridge.send('text after'),
    ]
    expect(sent).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'sent'])
    await eventually(() => frames.length === 6, 'six frames at the server')
    expect(frames.map((f) => [f.binary, f.bytes])).toEqual([
      [true, [0, 255, 1, 254]],
      [true, [7, 8, 9]],
      [true, [...new Uint8Array(new Uint16Array([0x0102]).buffer)]],
      [true, [11, 12]],
      [true, [42, 43]],
      [false, bytesOf('text after')],
    ])
  })

  it('queues binary with text while disconnected and sends both in order on open', async () => {
    server = await new EventServer({ refuseUpgrades: true }).start()
    const s = server
    const recorded = (current = startBridge({ url: s.url, retryDelay: 10 }))
    await eventually(() => s.upgrades.length >= 1 && recorded.bridge.getStatus().state === 'error', 'a refused attempt')
    expect([recorded.bridge.send('first'), recorded.bridge.send(new Uint8Array([1, 2])), recorded.bridge.send({ n: 3 })]).toEqual(['queued', 'queued', 'queued'])
    s.options.refuseUpgrades = false
    // The server records each frame as it arrives, binary ones as '<binary>'.
    await s.until(() => s.connections.length === 1 && s.connections[0].received.length === 3)
    expect(s.connections[0].received).toEqual(['first', '<binary>', '{"n":3}'])
  })
})
