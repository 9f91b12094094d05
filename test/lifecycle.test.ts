// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined
let online = true

beforeEach(async () => {
  online = true
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online })
  sessionStorage.clear()
  server = await new EventServer().start()
})

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  // Spies on Storage, console and sessionStorage go back even when a test failed half-way.
  vi.restoreAllMocks()
  vi.useRealTimers()
  await server.stop()
})

describe('page lifecycle', () => {
  it('keeps messages in sessionStorage by default', async () => {
    current = startBridge({ url: server.url, storage: undefined, flushDelay: 0 })
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => sessionStorage.getItem('ws_messages_r1') !== null)
    expect(JSON.parse(sessionStorage.getItem('ws_messages_r1') as string)).toEqual(server.log)
    expect(current.bridge.getStatus().storage).toBe('session')
  })

  it('writes pending messages and closes the socket cleanly on pagehide', async () => {
    const recorded = (current = startBridge({ url: server.url, storage: undefined, flushDelay: 60000 }))
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => recorded.messages.length === 1)
    expect(sessionStorage.getItem('ws_messages_r1')).toBeNull()
    window.dispatchEvent(new Event('pagehide'))
    expect(JSON.parse(sessionStorage.getItem('ws_messages_r1') as string)).toHaveLength(1)
    await server.until(() => server.open.length === 0)
    expect(recorded.bridge.getStatus()).toMatchObject({ state: 'disconnected', lastCloseCode: 1000 })
    expect(JSON.parse(sessionStorage.getItem('ws_status_r1') as string).state).toBe('disconnected')
  })

  it('coalesces a burst into one write per flushDelay: none before the delay passes, one when it does', async () => {
    useFakeClock()
    const setItem = vi.spyOn(Storage.prototype, 'setItem')
    const messageWrites = () => setItem.mock.calls.filter(([key]) => key === 'ws_messages_r1')
    const recorded = (current = startBridge({ url: server.url, storage: undefined, flushDelay: 60000 }))
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected')
    // A status change writes at once (stableAfter's reset of attempts is one): let it pass first.
    vi.advanceTimersByTime(5000)
    const before = messageWrites().length
    for (let i = 0; i < 200; i++) server.emit()
    await settle(() => recorded.messages.length === 200, '200 messages')
    vi.advanceTimersByTime(59999)
    expect(messageWrites().length).toBe(before)
    vi.advanceTimersByTime(1)
    expect(messageWrites().length).toBe(before + 1)
    expect(JSON.parse(messageWrites().at(-1)?.[1] as string)).toHaveLength(100)
    // A second burst: again one write, one flushDelay after its first message.
    for (let i = 0; i < 50; i++) server.emit()
    await settle(() => recorded.messages.length === 250, '250 messages')
    vi.advanceTimersByTime(59999)
    expect(messageWrites().length).toBe(before + 1)
    vi.advanceTimersByTime(1)
    expect(messageWrites().length).toBe(before + 2)
    expect((JSON.parse(sessionStorage.getItem('ws_messages_r1') as string) as Array<{ id: string }>).at(-1)?.id).toBe('e250')
    // Nothing new: no write, however long.
    vi.advanceTimersByTime(10 * 60000)
    expect(messageWrites().length).toBe(before + 2)
  })

  it('comes back from the back-forward cache', async () => {
    const recorded = (current = startBridge({ url: server.url, storage: undefined }))
    await server.until(() => server.open.length === 1)
    window.dispatchEvent(new Event('pagehide'))
    await server.until(() => server.open.length === 0)
    const shown = new Event('pageshow') as Event & { persisted: boolean }
    Object.defineProperty(shown, 'persisted', { value: true })
    window.dispatchEvent(shown)
    await server.until(() => server.open.length === 1)
    await eventually(() => recorded.bridge.getStatus().state === 'connected')
  })

  it('burns no attempt while offline and connects at once when online', async () => {
    useFakeClock()
    online = false
    const recorded = (current = startBridge({ url: server.url, storage: undefined }))
    vi.advanceTimersByTime(10 * 60 * 1000)
    await drain()
    expect(server.upgrades).toEqual([])
    expect(recorded.bridge.getStatus().attempts).toBe(0)
    online = true
    window.dispatchEvent(new Event('online'))
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected after online')
  })

  it('skips the backoff wait when the network comes back', async () => {
    useFakeClock()
    server.options.refuseUpgrades = true
    const recorded = (current = startBridge({ url: server.url, storage: undefined, retryDelay: 30000 }))
    await settle(() => recorded.bridge.getStatus().retryAt !== null, 'waiting to retry')
    expect(server.upgrades).toHaveLength(1)
    server.options.refuseUpgrades = false
    window.dispatchEvent(new Event('online'))
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected without waiting')
    expect(server.upgrades).toHaveLength(2)
  })

  it('skips the backoff wait when the page becomes visible', async () => {
    useFakeClock()
    server.options.refuseUpgrades = true
    const recorded = (current = startBridge({ url: server.url, storage: undefined, retryDelay: 30000 }))
    await settle(() => recorded.bridge.getStatus().retryAt !== null, 'waiting to retry')
    server.options.refuseUpgrades = false
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    document.dispatchEvent(new Event('visibilitychange'))
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected without waiting')
  })

  it('stops listening to the page after close()', async () => {
    useFakeClock()
    const recorded = (current = startBridge({ url: server.url, storage: undefined }))
    await settle(() => recorded.bridge.getStatus().state === 'connected')
    recorded.bridge.close()
    window.dispatchEvent(new Event('online'))
    window.dispatchEvent(new Event('pagehide'))
    await drain()
    expect(server.upgrades).toHaveLength(1)
    expect(recorded.bridge.getStatus().state).toBe('closed')
  })

  it('with lifecycle: false, ignores pagehide, online and visibility: the socket stays open and a backoff wait runs its course', async () => {
    useFakeClock()
    const recorded = (current = startBridge({ url: server.url, storage: undefined, flushDelay: 60000, retryDelay: 30000, lifecycle: false }))
    await settle(() => server.open.length === 1 && recorded.bridge.getStatus().state === 'connected', 'connected')
    server.emit()
    await settle(() => recorded.messages.length === 1, 'a message')
    window.dispatchEvent(new Event('pagehide'))
    await drain()
    // No clean close and no forced write: the page events are not the bridge's business.
    expect(server.open).toHaveLength(1)
    expect(recorded.bridge.getStatus().state).toBe('connected')
    expect(sessionStorage.getItem('ws_messages_r1')).toBeNull()

    server.options.refuseUpgrades = true
    server.dropAll()
    await settle(() => recorded.bridge.getStatus().retryAt !== null, 'waiting to retry')
    const upgrades = server.upgrades.length
    server.options.refuseUpgrades = false
    window.dispatchEvent(new Event('online'))
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    document.dispatchEvent(new Event('visibilitychange'))
    await drain()
    expect(server.upgrades).toHaveLength(upgrades)
    vi.advanceTimersByTime(30000)
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected after the full backoff wait')
    expect(server.upgrades).toHaveLength(upgrades + 1)
  })

  it('falls back to memory and says so when sessionStorage throws', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const get = vi.spyOn(window, 'sessionStorage', 'get').mockImplementation(() => {
      throw new DOMException('The operation is insecure.', 'SecurityError')
    })
    const recorded = (current = startBridge({ url: server.url, storage: undefined }))
    get.mockRestore()
    expect(recorded.bridge.getStatus()).toMatchObject({ storage: 'memory' })
    expect(recorded.bridge.getStatus().storageProblem).toContain('insecure')
    await server.until(() => server.open.length === 1)
    server.emit()
    await eventually(() => recorded.messages.length === 1)
    expect(recorded.bridge.getMessages()).toHaveLength(1)
    expect(warn).toHaveBeenCalledTimes(1)
  })
})
