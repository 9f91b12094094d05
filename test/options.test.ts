import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { connect } from '../src/bridge/bridge'
import { DEFAULTS, type Message, resolveOptions } from '../src/bridge/options'

const base = { url: 'ws://127.0.0.1:1/ws', room: 'r' }

/** The README's Options table: option name → the default column, as written. */
function documentedDefaults(): Map<string, string> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('### Options'), readme.indexOf('## Console debugging'))
  const rows = new Map<string, string>()
  for (const line of table.split('\n')) {
    const cells = /^\| `(\w+)` \| (.+?) \| .* \|$/.exec(line)
    if (cells) rows.set(cells[1], cells[2].replace(/^`(.*)`$/, '$1'))
  }
  return rows
}

/** A documented default as a value: numbers, quoted strings, true/false/null/undefined, or an arrow function. */
function parseDocumented(text: string): unknown {
  if (text === 'undefined') return undefined
  if (/^'.*'$/.test(text)) return text.slice(1, -1)
  if (text === 'Infinity') return Infinity
  if (/^\(.*\) =>/.test(text)) return new Function('return ' + text)()
  return JSON.parse(text)
}

// What the README promises in words, beyond the table (Heartbeat, Options, the backoff in the introduction).
const PROMISED = {
  heartbeatInterval: 30000,
  heartbeatTimeout: 10000,
  pingMessage: '{"type":"ping"}',
  retryDelay: 1000,
  maxRetryDelay: 30000,
  fallbackInterval: 10000,
  maxQueued: 100,
  maxMessages: 100,
  flushDelay: 50,
  connectTimeout: 10000,
  stableAfter: 5000,
  resumeParam: 'since',
  storage: 'session',
}

describe('DEFAULTS', () => {
  it('holds the values the README documents in words', () => {
    expect(DEFAULTS).toMatchObject(PROMISED)
    expect(resolveOptions(base)).toMatchObject({ ...PROMISED, ...base })
  })

  it('matches the README options table, row by row, with no option missing on either side', () => {
    const documented = documentedDefaults()
    expect([...documented.keys()].sort()).toEqual([...Object.keys(DEFAULTS), 'url', 'room'].sort())
    expect(documented.get('url')).toBe('*(required)*')
    expect(documented.get('room')).toBe('*(required)*')
    const pongs: Message[] = [{ type: 'pong' }, { type: 'ping' }, { type: 'Pong' }, {}, { type: ['pong'] }]
    for (const [name, code] of Object.entries(DEFAULTS)) {
      const doc = parseDocumented(documented.get(name) as string)
      if (typeof code === 'function') {
        expect(typeof doc, name).toBe('function')
        expect(pongs.map((m) => (code as (m: Message) => boolean)(m)), name).toEqual(pongs.map((m) => (doc as (m: Message) => boolean)(m)))
      } else {
        expect(code, name + ' (README: ' + documented.get(name) + ')').toEqual(doc)
      }
    }
  })

  it('fills every documented default into the resolved options', () => {
    const options = resolveOptions(base)
    for (const [name, text] of documentedDefaults()) {
      if (text === '*(required)*' || name === 'isPong') continue
      expect(options[name as keyof typeof options], name).toEqual(parseDocumented(text))
    }
    expect(options.isPong({ type: 'pong' })).toBe(true)
    expect(options.isPong({ type: 'message' })).toBe(false)
  })
})

describe('resolveOptions', () => {
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

describe('connect', () => {
  it('refuses a storage option that is not Storage-like before it opens anything', () => {
    let opened = 0
    class NoSocket {
      static CLOSING = 2
      constructor() {
        opened++
      }
    }
    const options = { url: 'ws://127.0.0.1:1/ws', room: 'r', WebSocket: NoSocket as never, lifecycle: false, debug: false }
    expect(() => connect({ ...options, storage: {} as never })).toThrow('[ws-bridge] option "storage" must be "session", "memory" or a Storage-like object')
    expect(() => connect({ ...options, storage: 'local' as never })).toThrow('option "storage"')
    expect(opened).toBe(0)
  })
})
