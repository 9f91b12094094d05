import { describe, expect, it } from 'vitest'
import { DEFAULTS, resolveOptions } from '../src/bridge/options'

const base = { url: 'ws://127.0.0.1:1/ws', room: 'r' }

describe('resolveOptions', () => {
  it('fills every default', () => {
    const options = resolveOptions(base)
    expect(options).toMatchObject({ ...DEFAULTS, isPong: DEFAULTS.isPong, ...base })
  })

  it('names the option and the value it refused', () => {
    expect(() => resolveOptions({ ...base, maxMessages: 0 })).toThrow('option "maxMessages" must be a number > 0, got 0')
    expect(() => resolveOptions({ ...base, retryDelay: -1 })).toThrow('option "retryDelay" must be a number ≥ 0, got -1')
    expect(() => resolveOptions({ ...base, fallbackInterval: Number.NaN })).toThrow('"fallbackInterval"')
    expect(() => resolveOptions({ ...base, maxMessages: '5' as unknown as number })).toThrow('got "5"')
  })

  it('refuses a missing url or room', () => {
    expect(() => resolveOptions({ room: 'r' } as never)).toThrow('option "url"')
    expect(() => resolveOptions({ url: 'ws://x' } as never)).toThrow('option "room"')
    expect(() => resolveOptions({ ...base, room: '' })).toThrow('option "room"')
  })

  it('allows Infinity only for maxRetries', () => {
    expect(resolveOptions({ ...base, maxRetries: Infinity }).maxRetries).toBe(Infinity)
    expect(() => resolveOptions({ ...base, maxMessages: Infinity })).toThrow('"maxMessages"')
  })

  it('checks jitter, resumeParam, fallbackUrl, dedupKey and isPong', () => {
    expect(() => resolveOptions({ ...base, jitter: 2 })).toThrow('"jitter"')
    expect(() => resolveOptions({ ...base, resumeParam: '' })).toThrow('"resumeParam"')
    expect(resolveOptions({ ...base, resumeParam: false }).resumeParam).toBe(false)
    expect(() => resolveOptions({ ...base, fallbackUrl: 5 as never })).toThrow('"fallbackUrl"')
    expect(() => resolveOptions({ ...base, dedupKey: 5 as never })).toThrow('option "dedupKey" must be a string')
    expect(() => resolveOptions({ ...base, isPong: 'pong' as never })).toThrow('option "isPong" must be a function')
  })

  it('treats undefined as "use the default"', () => {
    expect(resolveOptions({ ...base, maxMessages: undefined }).maxMessages).toBe(100)
  })
})

describe('resolveOptions types', () => {
  it('checks every option against the type of its default', () => {
    expect(() => resolveOptions({ ...base, debug: 'yes' as never })).toThrow('option "debug" must be a boolean, got "yes"')
    expect(() => resolveOptions({ ...base, pingMessage: {} as never })).toThrow('option "pingMessage" must be a string')
    expect(resolveOptions({ ...base, dedupKey: (m) => m.uid }).dedupKey).toBeTypeOf('function')
  })
})

describe('resolveOptions names', () => {
  it('refuses an option that does not exist, catching typos', () => {
    expect(() => resolveOptions({ ...base, maxMessage: 5 } as never)).toThrow('option "maxMessage" does not exist')
  })
})
