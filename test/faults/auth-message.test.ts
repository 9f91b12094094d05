// The README's "first auth message" recipe: a send from the 'status' listener
// on connect goes out first on every (re)connect, before queued messages.
import { afterEach, describe, expect, it } from 'vitest'
import { type Recorded, startBridge } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer | null = null
let current: Recorded | null = null
// The bridge too, not only on success: a failed wait must not leave it reconnecting for the rest of the run.
afterEach(async () => {
  current?.bridge.close()
  current = null
  if (server) await server.stop()
  server = null
})

describe('a first auth message sent from the status listener', () => {
  it('is the first frame of every connection, ahead of messages queued while down', async () => {
    server = await new EventServer().start()
    current = startBridge({ url: server.url, heartbeatInterval: 0, retryDelay: 10 })
    const { bridge } = current
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
    expect(bridge.getStatus().state).toBe('closed')
    expect(s.connections.map((c) => c.received.map((t) => JSON.parse(t)))).toEqual([
      [{ type: 'auth', token: 't1' }],
      [{ type: 'auth', token: 't2' }, { type: 'message', text: 'queued' }],
    ])
  })
})
