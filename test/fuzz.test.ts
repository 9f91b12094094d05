import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Recorded, startBridge } from './helpers/bridge'
import { EventServer, eventually } from './helpers/ws-server'

let server: EventServer
let recorded: Recorded

beforeAll(async () => {
  server = await new EventServer().start()
  recorded = startBridge({ url: server.url, heartbeatInterval: 0 })
  await eventually(() => recorded.bridge.getStatus().state === 'connected')
})

afterAll(async () => {
  const { received, stored, duplicates, invalid } = recorded.bridge.getStatus().counters
  const reported = recorded.errors.filter((e) => e.kind === 'frame').length
  console.log('[faults] fuzz (Node, fast-check): ' + received + ' frames, stored ' + stored + ', duplicates ' + duplicates + ', invalid ' + invalid +
    ' = reported ' + reported + ', kept ' + recorded.bridge.getMessages().length + ', polluted ' + ('polluted' in {} ? 1 : 0))
  recorded.bridge.close()
  await server.stop()
})

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

// Frames a hostile or broken server might send.
const hostileFrame = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }), // lone surrogates included
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify({ id: v, type: 'x' })),
  fc.string({ minLength: 1000, maxLength: 20_000 }).map((id) => JSON.stringify({ id })),
  fc.string({ unit: 'binary' }).map((text) => '{"id":"' + text.replace(/["\\\u0000-\u001f]/g, '') + '","text":"' + text.replace(/["\\\u0000-\u001f]/g, '') + '"}'),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"id":"p1"}',
    '{"constructor":{"prototype":{"polluted":true}},"id":"p2"}',
    '{"id":"__proto__"}',
    '{"id":null,"type":"no id"}',
    '{"id":{"nested":[1,2]}}',
    '{"id":1e400}',
    JSON.stringify({ id: 'x'.repeat(100_000) }),
    nested(100_000),
    nestedObject(5_000),
    '\uD800',
    '{"id":"\uD800","\uDC00":"\uDBFF"}',
    '{"id":"\\ud800","text":"\\udfff\\ud800"}',
    '{"id":5}',
    '{"id":"5"}',
    '{"id":-0}',
    '{"id":true}',
    '{"id":[1,{"a":null}]}',
    '{"constructor":{"prototype":{"polluted":true}},"__proto__":[],"id":"p3"}',
    '{"id":"toString","toString":"x","valueOf":1,"hasOwnProperty":null}',
    '',
  ),
)

/** Sends the frames, then a marker, and waits until the bridge has seen the marker. */
async function deliver(frames: Array<string | Buffer>) {
  const before = recorded.bridge.getStatus().counters.received
  for (const frame of frames) server.broadcast(frame)
  const marker = 'marker-' + Math.random()
  server.broadcast(JSON.stringify({ id: marker }))
  await eventually(() => recorded.bridge.getStatus().counters.received === before + frames.length + 1, 'all frames received')
}

function checkInvariants() {
  const status = recorded.bridge.getStatus()
  const { received, stored, duplicates, invalid } = status.counters
  expect(status.state).toBe('connected')
  expect(stored + duplicates + invalid).toBe(received)
  // Every refused frame is also reported, once, as an 'error' event of kind 'frame'.
  expect(recorded.errors.filter((e) => e.kind === 'frame')).toHaveLength(invalid)
  expect(Array.prototype).not.toHaveProperty('polluted')
  expect(recorded.bridge.getMessages().length).toBeLessThanOrEqual(100)
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  expect(Object.prototype).not.toHaveProperty('polluted')
}

describe('hostile frames', () => {
  it('never crash the bridge, pollute prototypes or break the 100-message bound', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { maxLength: 40 }), async (frames) => {
        await deliver(frames)
        checkInvariants()
      }),
      { numRuns: 60 },
    )
  })

  it('refuse binary frames and count them', async () => {
    const invalid = recorded.bridge.getStatus().counters.invalid
    await deliver([Buffer.from([0xff, 0x00, 0x7b]), Buffer.alloc(1024 * 64)])
    expect(recorded.bridge.getStatus().counters.invalid).toBe(invalid + 2)
    checkInvariants()
  })

  it('take a 1 MB frame and refuse a 10 MB one', async () => {
    const big = JSON.stringify({ id: 'one-mb', text: 'x'.repeat(1_000_000 - 30) })
    const huge = JSON.stringify({ id: 'ten-mb', text: 'x'.repeat(10_000_000) })
    await deliver([big, huge])
    const ids = recorded.bridge.getMessages().map((m) => m.id)
    expect(ids).toContain('one-mb')
    expect(ids).not.toContain('ten-mb')
    checkInvariants()
  })

  it('keeps "__proto__" as a plain own key of the stored message', async () => {
    await deliver(['{"__proto__":{"polluted":true},"id":"own-proto"}'])
    const message = recorded.bridge.getMessages().find((m) => m.id === 'own-proto') as object
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype)
    expect(Object.keys(message)).toContain('__proto__')
    checkInvariants()
  })

  it('keeps memory bounded: 5,000 distinct ids leave 100 messages and a bounded dedup set', async () => {
    const frames = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: 'bulk-' + i, n: i }))
    await deliver(frames)
    expect(recorded.bridge.getMessages()).toHaveLength(100)
    expect(recorded.bridge.getMessages().at(-1)?.id).toMatch(/^marker-/)
    // The oldest ids fall out of the dedup window (1000 + 100): replaying one stores it again.
    await deliver([JSON.stringify({ id: 'bulk-0', n: 0 })])
    expect(recorded.bridge.getMessages().at(-2)?.id).toBe('bulk-0')
    checkInvariants()
  })
})
