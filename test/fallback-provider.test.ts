// fallbackUrl as a provider, as `url` can be: asked before every poll (a fresh
// token each time), a refused poll (401, 403) reported and retried with a new
// URL at the next interval, a provider that throws or rejects reported too,
// and never a token in an error message. A real HTTP server checks the tokens.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveOptions } from '../src/bridge/options'
import { type Recorded, startBridge } from './helpers/bridge'
import { drain, settle, useFakeClock } from './helpers/fake-time'
import { EventServer } from './helpers/ws-server'

let server: EventServer
let current: Recorded | undefined
const cleanups: Array<() => void> = []

afterEach(async () => {
  current?.bridge.close()
  current = undefined
  for (const cleanup of cleanups.splice(0)) cleanup()
  vi.useRealTimers()
  await server?.stop()
})

const SECRET = 'sekrit-token-'
const pollErrors = (r: Recorded) => r.errors.filter((e) => e.kind === 'fallback').map((e) => e.message)

/** GET /guarded answers 200 with the events after since for the tokens in `valid`, else `refusal`. */
function guarded(valid: Set<string>, refusal: 401 | 403) {
  return (req: IncomingMessage, res: ServerResponse, s: EventServer) => {
    const url = new URL(req.url || '/', s.httpUrl)
    if (url.pathname !== '/guarded') return false
    s.polls.push(req.url || '')
    const ok = valid.has(url.searchParams.get('token') || '') && url.searchParams.get('client') === 'ann'
    res.writeHead(ok ? 200 : refusal, { 'content-type': 'application/json' })
    const since = url.searchParams.get('since')
    res.end(ok ? JSON.stringify(since === null ? s.log : s.after(since)) : '{"detail":"invalid or expired token"}')
    return true
  }
}

describe('fallbackUrl as a provider', () => {
  it('is validated like url: a non-empty string or a function, naming the option', () => {
    const base = { url: 'ws://127.0.0.1:1/ws', room: 'r' }
    expect(resolveOptions({ ...base, fallbackUrl: () => 'http://h/events' }).fallbackUrl).toBeTypeOf('function')
    expect(() => resolveOptions({ ...base, fallbackUrl: '' })).toThrow('option "fallbackUrl" must be a URL string or a function, got ""')
    expect(() => resolveOptions({ ...base, fallbackUrl: 5 as never })).toThrow('option "fallbackUrl" must be a URL string or a function, got 5')
  })

  for (const refusal of [401, 403] as const) {
    it('reports a poll refused with ' + refusal + ' without its token, and asks the provider again for the next poll', async () => {
      useFakeClock()
      const valid = new Set<string>()
      server = await new EventServer({ refuseUpgrades: true, http: guarded(valid, refusal) }).start()
      server.emit({ text: 'one' })
      let calls = 0
      // The first token is stale; the provider's later ones are valid.
      const fallbackUrl = async () => {
        const token = SECRET + ++calls
        if (calls > 1) valid.add(token)
        return server.httpUrl + '/guarded?token=' + token + '&client=ann'
      }
      const recorded = (current = startBridge({ url: server.url, fallbackUrl, fallbackInterval: 5000 }))
      await settle(() => pollErrors(recorded).length === 1, 'the refused poll')
      expect(pollErrors(recorded)).toEqual(['poll failed: HTTP ' + refusal])
      expect(JSON.stringify(recorded.errors)).not.toContain(SECRET)
      expect(calls).toBe(1)
      // The loop keeps its interval: nothing more until it passes.
      await drain()
      expect(server.polls).toHaveLength(1)
      vi.advanceTimersByTime(5000)
      await settle(() => recorded.messages.length === 1, 'the next poll, with a fresh token')
      expect(calls).toBe(2)
      expect(server.polls.map((p) => new URL(p, server.httpUrl).searchParams.get('token'))).toEqual([SECRET + 1, SECRET + 2])
      expect(recorded.bridge.getStatus().transport).toBe('polling')
    })
  }

  it('turns a provider that throws or rejects into fallback errors, with no unhandled rejection, and keeps polling', async () => {
    useFakeClock()
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    cleanups.push(() => process.off('unhandledRejection', unhandled))
    server = await new EventServer({ refuseUpgrades: true }).start()
    server.emit()
    let calls = 0
    const fallbackUrl = () => {
      calls++
      if (calls === 1) throw new Error('token route down')
      if (calls === 2) return Promise.reject(new Error('token route slow'))
      return server.httpUrl + '/events'
    }
    const recorded = (current = startBridge({ url: server.url, fallbackUrl, fallbackInterval: 1000 }))
    await settle(() => pollErrors(recorded).length === 1, 'the throwing provider')
    vi.advanceTimersByTime(1000)
    await settle(() => pollErrors(recorded).length === 2, 'the rejecting provider')
    vi.advanceTimersByTime(1000)
    await settle(() => recorded.messages.length === 1, 'a poll with a URL at last')
    expect(pollErrors(recorded)).toEqual(['poll failed: token route down', 'poll failed: token route slow'])
    expect(calls).toBe(3)
    await drain()
    expect(unhandled).not.toHaveBeenCalled()
  })

  it('puts the last id held on the provided URL, beside the provider’s own query', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    server.emit()
    let calls = 0
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: async () => server.httpUrl + '/events?token=' + SECRET + ++calls, fallbackInterval: 1000 }))
    await settle(() => recorded.messages.length === 1)
    server.emit()
    vi.advanceTimersByTime(1000)
    await settle(() => recorded.messages.length === 2)
    expect(server.polls).toEqual(['/events?token=' + SECRET + '1', '/events?token=' + SECRET + '2&since=e1'])
  })

  it('keeps the token out of a network failure’s message', async () => {
    useFakeClock()
    server = await new EventServer({ refuseUpgrades: true }).start()
    // Nothing listens on port 1: the fetch itself fails.
    const recorded = (current = startBridge({ url: server.url, fallbackUrl: async () => 'http://127.0.0.1:1/events?token=' + SECRET + 'x' }))
    await settle(() => pollErrors(recorded).length === 1, 'the failed poll')
    expect(pollErrors(recorded)[0]).toMatch(/^poll failed: /)
    expect(JSON.stringify(recorded.errors)).not.toContain(SECRET)
    expect(JSON.stringify(recorded.bridge.getStatus())).not.toContain(SECRET)
  })
})
