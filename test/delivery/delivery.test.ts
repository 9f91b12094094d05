// @vitest-environment jsdom
// The delivery core (src/delivery/delivery.ts) against a real ws server: at most one
// unacknowledged batch in flight, new events collecting behind it; a host whose
// channel keeps only its latest value gets supersets instead; resend() after a lost
// channel; nothing after close().
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Batch } from '../../src/delivery/batch'
import { readOptions } from '../../src/delivery/batch'
import { type Delivery, type Host, openDelivery } from '../../src/delivery/delivery'
import { NodeWebSocket } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer
let delivery: Delivery | undefined

beforeAll(() => {
  // The page's WebSocket: jsdom's global one is Node's, whose events jsdom rejects.
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
})
beforeEach(async () => {
  server = await new EventServer({ answerPings: true }).start()
})
afterEach(async () => {
  delivery?.close()
  delivery = undefined
  sessionStorage.clear()
  await server.stop()
})

interface Recording {
  batches: Batch[]
  host: Host
}

function record(replaces = false): Recording {
  const batches: Batch[] = []
  return { batches, host: { deliver: (batch) => batches.push(batch), paint: () => {}, debugWindow: window, replaces } }
}

function open(rec: Recording, throttleMs = 0): Delivery {
  delivery = openDelivery(readOptions({ url: server.url + '/ws/r1/p1', room: 'r1', throttle_ms: throttleMs }), rec.host)
  delivery.ready()
  return delivery
}

const withEvents = (batches: Batch[]) => batches.filter((b) => b.lastSeq > b.baseSeq)
const texts = (batch: Batch) => batch.events.map((e) => ('event' in e ? String(e.event.text) : 'reset'))

describe('openDelivery', () => {
  it('keeps one unacknowledged batch in flight; the events behind it go together after the acknowledgement', async () => {
    const rec = record()
    const d = open(rec)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit({ text: 'a' })
    await eventually(() => withEvents(rec.batches).length === 1, 'the first batch')
    for (let i = 0; i < 50; i++) server.emit({ text: 'b' + i })
    await eventually(() => d.ledger.last === 51, 'all numbered')
    // Fifty events arrived and the status may have changed meanwhile: nothing more went while the first batch is unacknowledged.
    const sent = rec.batches.length
    expect(withEvents(rec.batches)).toHaveLength(1)
    const first = withEvents(rec.batches)[0]
    expect(texts(first)).toEqual(['a'])
    d.acknowledge(first.tab, first.lastSeq)
    await eventually(() => rec.batches.length > sent, 'the next batch')
    const second = rec.batches[rec.batches.length - 1]
    expect({ base: second.baseSeq, last: second.lastSeq, count: second.events.length }).toEqual({ base: 1, last: 51, count: 50 })
    expect(texts(second)).toEqual(Array.from({ length: 50 }, (_, i) => 'b' + i))
    // Acknowledged in full: nothing is in flight, and the quiet room sends nothing.
    d.acknowledge(second.tab, second.lastSeq)
    expect(d.ledger.pending()).toEqual([])
    console.log('[delivery] 51 events in ' + withEvents(rec.batches).length + ' batches, one in flight at a time')
  })

  it('ignores an acknowledgement of another tab or below the batch in flight', async () => {
    const rec = record()
    const d = open(rec)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit({ text: 'a' })
    server.emit({ text: 'b' })
    await eventually(() => withEvents(rec.batches).length === 1 && d.ledger.last === 2, 'a batch')
    const first = withEvents(rec.batches)[0]
    server.emit({ text: 'c' })
    await eventually(() => d.ledger.last === 3, 'c numbered')
    const sent = rec.batches.length
    d.acknowledge('another-tab', 99)
    d.acknowledge(first.tab, first.lastSeq - 1)
    // A partial acknowledgement trims the ledger but leaves the batch in flight.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(rec.batches.length).toBe(sent)
    expect(d.ledger.ack).toBe(first.lastSeq - 1)
    d.acknowledge(first.tab, first.lastSeq)
    await eventually(() => rec.batches.length > sent, 'the next batch')
    expect(texts(rec.batches[rec.batches.length - 1])).toEqual(['c'])
  })

  it('sends everything unacknowledged again after resend(), as a host does for a new view', async () => {
    const rec = record()
    const d = open(rec)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit({ text: 'a' })
    await eventually(() => withEvents(rec.batches).length === 1, 'the first batch')
    d.resend()
    await eventually(() => withEvents(rec.batches).length === 2, 'the batch again')
    expect(texts(withEvents(rec.batches)[1])).toEqual(['a'])
  })

  it('hands a replacing host (a latest-value channel) a growing superset without waiting', async () => {
    const rec = record(true)
    const d = open(rec)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit({ text: 'a' })
    await eventually(() => withEvents(rec.batches).length === 1, 'the first batch')
    server.emit({ text: 'b' })
    await eventually(() => withEvents(rec.batches).length === 2, 'the superset')
    expect(texts(withEvents(rec.batches)[1])).toEqual(['a', 'b'])
    expect(d.ledger.ack).toBe(0)
  })

  it('hands nothing after close(), and keeps what was unacknowledged for the next page', async () => {
    const rec = record()
    const d = open(rec, 50)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit({ text: 'a' })
    await eventually(() => d.ledger.last === 1, 'numbered')
    d.close()
    delivery = undefined
    const sent = rec.batches.length
    await eventually(() => server.open.length === 0, 'the socket closed')
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(rec.batches.length).toBe(sent)
    expect(JSON.parse(sessionStorage.getItem('ws_component_r1') || '{}').last).toBe(1)
  })
})
