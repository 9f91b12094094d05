import { createServer, type Socket } from 'node:net'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveDefaultExport } from '../src/bridge/rws-class'
import { type Recorded, startBridge } from './helpers/bridge'
import { closedPort, drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer, eventually } from './helpers/ws-server'

let current: Recorded | undefined
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  for (const cleanup of cleanups.splice(0)) await cleanup()
  vi.useRealTimers()
})

function open(options: Parameters<typeof startBridge>[0]) {
  current = startBridge(options)
  return current
}

describe('backoff', () => {
  it('waits exactly 1 s, 2 s, 4 s … 30 s between failed attempts', async () => {
    useFakeClock()
    const port = await closedPort()
    const recorded = open({ url: 'ws://127.0.0.1:' + port })
    const delays: number[] = []
    recorded.bridge.on('status', (s, old) => {
      if (s.retryAt !== null && s.retryAt !== old.retryAt) delays.push(s.retryAt - Date.now())
    })
    for (let i = 0; i < 7; i++) {
      await settle(() => delays.length === i + 1, 'retry ' + (i + 1))
      expect(recorded.bridge.getStatus().attempts).toBe(i + 1)
      vi.advanceTimersByTime(delays[i])
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
  })

  it('makes the first retry after exactly retryDelay, not reconnecting-websocket’s random 1–5 s', async () => {
    useFakeClock()
    const port = await closedPort()
    const recorded = open({ url: 'ws://127.0.0.1:' + port })
    const dials: string[] = []
    recorded.bridge.on('status', (s, old) => {
      if (s.state === 'connecting' && old.state !== 'connecting') dials.push(s.url as string)
    })
    await settle(() => recorded.bridge.getStatus().attempts === 1, 'first failure')
    const before = dials.length
    vi.advanceTimersByTime(999)
    await drain()
    expect(dials.length).toBe(before)
    vi.advanceTimersByTime(1)
    await settle(() => dials.length === before + 1, 'second attempt')
  })

  it('resets the attempt counter once a connection has been stable', async () => {
    const server = await new EventServer().start()
    cleanups.push(() => server.stop())
    const recorded = open({ url: server.url, retryDelay: 5, stableAfter: 50 })
    await server.until(() => server.open.length === 1)
    server.dropAll()
    await eventually(() => recorded.bridge.getStatus().state === 'connected' && server.connections.length === 2)
    expect(recorded.statuses.some(([s]) => s.attempts === 1)).toBe(true)
    await eventually(() => recorded.bridge.getStatus().attempts === 0, 'stable reset')
  })
})

describe('reconnecting-websocket defects, guarded', () => {
  it('reconnects after giving up at maxRetries (the library’s connect lock, #125/#165)', async () => {
    const port = await closedPort()
    const recorded = open({ url: 'ws://127.0.0.1:' + port, maxRetries: 2, retryDelay: 5 })
    await eventually(() => String(recorded.bridge.getStatus().lastError).includes('gave up'), 'giving up')
    expect(recorded.bridge.getStatus()).toMatchObject({ state: 'error', retryAt: null })
    const server = await new EventServer({ port }).start(port)
    cleanups.push(() => server.stop())
    recorded.bridge.reconnect()
    await eventually(() => recorded.bridge.getStatus().state === 'connected', 'connected after reconnect()')
    expect(server.connections).toHaveLength(1)
  })

  it('turns a rejecting URL provider into error events and retries, with no unhandled rejection (#134)', async () => {
    const server = await new EventServer().start()
    cleanups.push(() => server.stop())
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    cleanups.push(() => process.off('unhandledRejection', unhandled))
    let calls = 0
    const recorded = open({
      retryDelay: 5,
      url: async () => {
        if (++calls <= 2) throw new Error('token service down')
        return server.url
      },
    })
    await eventually(() => recorded.bridge.getStatus().state === 'connected')
    expect(recorded.errors.map((e) => e.message)).toEqual([
      'no URL: token service down',
      'no URL: token service down',
    ])
    expect(unhandled).not.toHaveBeenCalled()
  })

  it('close() while CONNECTING stops for good, with no error thrown and no timer left (#183)', async () => {
    useFakeClock()
    const sockets: Socket[] = []
    const closed = new Set<Socket>()
    // Accepts, reads, never answers the upgrade.
    const silent = createServer((socket) => {
      sockets.push(socket)
      socket.on('close', () => closed.add(socket)).resume()
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => silent.close(resolve))
    })
    const { port } = silent.address() as { port: number }
    const recorded = open({ url: 'ws://127.0.0.1:' + port })
    await settle(() => sockets.length === 1, 'connection attempt')
    expect(recorded.bridge.ws?.readyState).toBe(0)
    recorded.bridge.close()
    await settle(() => closed.has(sockets[0]), 'client abort')
    vi.advanceTimersByTime(10 * 60 * 1000)
    await drain()
    expect(sockets).toHaveLength(1)
    expect(recorded.bridge.getStatus().state).toBe('closed')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('retries after a connect timeout on a CONNECTING socket instead of crashing Node (#183)', async () => {
    useFakeClock()
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => silent.close(resolve))
    })
    const { port } = silent.address() as { port: number }
    const recorded = open({ url: 'ws://127.0.0.1:' + port, connectTimeout: 500 })
    await settle(() => sockets.length === 1, 'first attempt')
    vi.advanceTimersByTime(500)
    // reconnecting-websocket sets its (zero) delay from inside that timer; fake timers run such a timer 1 ms later.
    vi.advanceTimersByTime(1)
    await settle(() => recorded.bridge.getStatus().attempts === 1, 'timeout noticed')
    expect(recorded.errors.map((e) => e.message)).toContain('connect timeout (500 ms)')
    vi.advanceTimersByTime(1000)
    await settle(() => sockets.length === 2, 'second attempt')
  })

  it('finds the constructor whatever shape the CJS/ESM import takes (#112)', () => {
    class Fake {}
    expect(resolveDefaultExport(Fake)).toBe(Fake)
    expect(resolveDefaultExport({ default: Fake })).toBe(Fake)
    expect(resolveDefaultExport({ default: { default: Fake } })).toBe(Fake)
    expect(() => resolveDefaultExport({})).toThrow('reconnecting-websocket did not load')
  })

  it('works from both the CJS and the ESM build (#112)', async () => {
    const dist = new URL('../dist/', import.meta.url)
    if (!existsSync(new URL('index.cjs', dist))) throw new Error('run `npm run build` first: dist/ is missing')
    const server = await new EventServer().start()
    cleanups.push(() => server.stop())
    const { default: WebSocket } = await import('ws')
    const cjs = createRequire(import.meta.url)('../dist/index.cjs')
    const esm = await import(new URL('index.mjs', dist).href)
    for (const build of [cjs, esm]) {
      const bridge = build.connect({ url: server.url, room: 'r', WebSocket, storage: build.memoryStorage() })
      cleanups.push(() => bridge.close())
      await eventually(() => bridge.getStatus().state === 'connected')
    }
    expect(server.open).toHaveLength(2)
  })
})

describe('timers', () => {
  it('leaves no timer behind after close(), whatever it was doing', async () => {
    useFakeClock()
    const server = await new EventServer({ answerPings: true }).start()
    cleanups.push(() => server.stop())
    const connected = open({ url: server.url, fallbackUrl: server.httpUrl + '/events' })
    await settle(() => connected.bridge.getStatus().state === 'connected')
    connected.bridge.send('x')
    server.emit()
    await settle(() => connected.messages.length === 1)
    connected.bridge.close()
    // The ws package keeps a timer until the server answers the close frame; that one is not ours.
    await settle(() => server.open.length === 0 && connected.bridge.ws?.readyState === 3, 'socket closed')
    expect(vi.getTimerCount()).toBe(0)

    const port = await closedPort()
    // A stub fetch here: Node's own fetch keeps internal timers of its own for a while.
    const fetch = async () => new Response('[]')
    const waiting = open({ url: 'ws://127.0.0.1:' + port, fallbackUrl: server.httpUrl + '/events', room: 'r2', fetch })
    await settle(() => waiting.bridge.getStatus().retryAt !== null && waiting.bridge.getStatus().transport === 'polling')
    waiting.bridge.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})

