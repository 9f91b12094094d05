// A listener that throws must not stop the feed or the other listeners, those
// added before it and those added after it, for every event kind.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Status } from '../src/bridge/status'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer | undefined
let current: Recorded | undefined

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  vi.restoreAllMocks()
  await server?.stop()
  server = undefined
})

describe('a throwing listener', () => {
  it('leaves every listener before and after it its messages and status changes, in order, and is reported each time', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    server = await new EventServer().start()
    const s = server
    // startBridge's own recorders come first; the thrower next; then the listeners after it.
    const recorded = (current = startBridge({ url: s.url, retryDelay: 10 }))
    recorded.bridge.on('message', () => {
      throw new Error('message listener bug')
    })
    recorded.bridge.on('status', () => {
      throw new Error('status listener bug')
    })
    const after: string[] = []
    const statesAfter: string[] = []
    recorded.bridge.on('message', (m) => after.push(String(m.id)))
    recorded.bridge.on('status', (status: Status) => statesAfter.push(status.state))

    await s.until(() => s.open.length === 1)
    for (let i = 0; i < 3; i++) s.emit()
    await eventually(() => after.length === 3, 'three messages to the listener after the thrower')
    s.dropAll()
    await eventually(() => statesAfter.filter((state) => state === 'connected').length === 2, 'connected again')
    s.emit()
    await eventually(() => after.length === 4, 'the message after the reconnect')

    expect(recorded.messages.map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4'])
    expect(after).toEqual(['e1', 'e2', 'e3', 'e4'])
    expect(statesAfter).toEqual(recorded.states())
    expect(recorded.bridge.getMessages().map((m) => m.id)).toEqual(['e1', 'e2', 'e3', 'e4'])
    const reported = error.mock.calls.map(([text]) => String(text))
    expect(reported.filter((text) => text.includes('message listener bug'))).toHaveLength(4)
    expect(reported.filter((text) => text.includes('status listener bug'))).toHaveLength(statesAfter.length)
  })
})
