// @vitest-environment jsdom
// With lifecycle: false the bridge listens to no page event, 'online' included, so it must not
// park an attempt until the network is back: it keeps to its backoff instead. (It used to wait
// forever for a wake() that only the lifecycle's 'online' listener calls.)
import { expect, it, vi } from 'vitest'
import { startBridge } from './helpers/bridge'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer } from './helpers/ws-server'
it('with lifecycle: false, connects once the network is back, though it was offline at an attempt', async () => {
  let online = false
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online })
  const server = await new EventServer().start()
  useFakeClock()
  const recorded = startBridge({ url: server.url, lifecycle: false })
  try {
    vi.advanceTimersByTime(60_000)
    await drain()
    online = true
    window.dispatchEvent(new Event('online'))
    for (let i = 0; i < 20; i++) vi.advanceTimersByTime(30_000)
    await settle(() => recorded.bridge.getStatus().state === 'connected', 'connected after the network came back')
    expect(server.upgrades).toHaveLength(1)
  } finally {
    recorded.bridge.close()
    vi.useRealTimers()
    await server.stop()
  }
})
