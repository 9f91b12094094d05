// The README's "first auth message" recipe: a send from the 'status' listener
// on connect goes out first on every (re)connect, before queued messages.
import { afterEach, describe, expect, it } from 'vitest'
import { startBridge } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer | null = null
afterEach(async () => {
  if (server) await server.stop()
  server = null
})

describe('a first auth message sent from the status listener', () => {
  it('is the first frame of every connection, ahead of messages queued while down', async () => {
    server = await new EventServer().start()
    const { bridge } = startBridge({ url: server.url, heartbeatInterval: 0, retryDelay: 10 })
    let token = 0
    bridge.on('status', (status, previous) => {
      if (status.state === 'connected' && previous.state !== 'connected') bridge.send({ type: 'auth', token: 't' + ++token })
    })
    const s = server
    await eventually(() => s.open.length === 1 && s.open[0].received.length === 1, 'the first connection and its auth')
    s.options.refuseUpgrades = true
    s.dropAll()
    await eventually(() => bridge.getStatus().state !== 'connected', 'the drop')
    expect(bridge.send({ type: 'message', text: 'queued' })).toBe('queued')
    s.options.refuseUpgrades = false
    await eventually(() => s.open.length === 1 && s.open[0].received.length === 2, 'the second connection', 10000)
    bridge.close()
    expect(s.connections.map((c) => c.received.map((t) => JSON.parse(t)))).toEqual([
      [{ type: 'auth', token: 't1' }],
      [{ type: 'auth', token: 't2' }, { type: 'message', text: 'queued' }],
    ])
  })
})
