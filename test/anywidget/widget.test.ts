// @vitest-environment jsdom
// The anywidget module's logic (src/anywidget/widget.ts) against a real ws server, with
// a stand-in for anywidget's model (the real hosts run in test/hosts/*.e2e.test.ts):
// one socket per room however many views, batches as custom messages, one in flight
// until Python's ack message, a re-run cell's widget taking over, nothing left after
// the last view goes.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import widget, { type Model } from '../../src/anywidget/widget'
import type { Batch } from '../../src/delivery/batch'
import { NodeWebSocket } from '../helpers/bridge'
import { EventServer, eventually } from '../helpers/ws-server'

let server: EventServer
const cleanups: Array<() => void> = []

beforeAll(() => {
  Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, configurable: true, writable: true })
})
beforeEach(async () => {
  server = await new EventServer({ answerPings: true }).start()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  sessionStorage.clear()
  await server.stop()
})

class FakeModel implements Model {
  readonly batches: Batch[] = []
  readonly saved: unknown[] = []
  private readonly traits: Record<string, unknown>
  private readonly listeners: Array<(content: unknown) => void> = []
  constructor(traits: Record<string, unknown>) {
    this.traits = { throttle_ms: 0, ...traits }
  }
  get(name: string) {
    return this.traits[name]
  }
  set(name: string, value: unknown) {
    this.traits[name] = value
  }
  save_changes() {
    this.saved.push(this.traits.status)
  }
  send(content: unknown) {
    const message = content as { type: string; batch: Batch }
    if (message.type === 'batch') this.batches.push(message.batch)
  }
  on(event: string, callback: (content: unknown) => void) {
    if (event === 'msg:custom') this.listeners.push(callback)
  }
  off() {}
  /** Python's side: a message from the kernel. */
  receive(content: unknown) {
    for (const listener of this.listeners) listener(content)
  }
  withEvents() {
    return this.batches.filter((b) => b.lastSeq > b.baseSeq)
  }
}

function show(model: FakeModel): HTMLElement {
  const el = document.createElement('div')
  document.body.appendChild(el)
  cleanups.push(widget.render({ model, el }))
  return el
}

const ids = (batch: Batch) => batch.events.map((e) => ('event' in e ? e.event.id : 'reset'))

describe('the anywidget module', () => {
  it('opens one socket for a widget shown twice, and sends one batch at a time as custom messages', async () => {
    const model = new FakeModel({ url: server.url + '/ws/r1/p1', room: 'r1' })
    const one = show(model)
    show(model)
    await eventually(() => server.open.length === 1 && model.get('status') !== undefined, 'connected')
    await eventually(() => (model.get('status') as { state?: string }).state === 'connected', 'the status trait')
    server.emit()
    await eventually(() => model.withEvents().length === 1, 'the first batch')
    server.emit()
    server.emit()
    await eventually(() => (JSON.parse(sessionStorage.getItem('ws_component_r1') || '{}').last || 0) === 3, 'numbered')
    expect(model.withEvents()).toHaveLength(1)
    const first = model.withEvents()[0]
    model.receive({ type: 'ack', tab: first.tab, seq: first.lastSeq })
    await eventually(() => model.withEvents().length === 2, 'the next batch')
    expect(ids(model.withEvents()[1])).toEqual(['e2', 'e3'])
    expect(server.connections).toHaveLength(1)
    expect(one.textContent).toBe('🟢 Connected')
    // The trait changes only when something a listener acts on changes: not per event.
    expect(model.saved.map((s) => (s as { state: string }).state)).toEqual(['connecting', 'connected'])
  })

  it('ignores foreign and malformed kernel messages', async () => {
    const model = new FakeModel({ url: server.url + '/ws/r1/p1', room: 'r1' })
    show(model)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit()
    await eventually(() => model.withEvents().length === 1, 'the first batch')
    const tab = model.withEvents()[0].tab
    for (const junk of [null, 5, 'ack', { type: 'ack' }, { type: 'ack', tab, seq: '1' }, { type: 'ack', tab, seq: 1.5 }, { type: 'other', tab, seq: 1 }]) model.receive(junk)
    server.emit()
    await eventually(() => (JSON.parse(sessionStorage.getItem('ws_component_r1') || '{}').last || 0) === 2, 'numbered')
    expect(model.withEvents()).toHaveLength(1)
  })

  it("hands the room to a re-run cell's new widget, starting with what is unacknowledged", async () => {
    const old = new FakeModel({ url: server.url + '/ws/r1/p1', room: 'r1' })
    show(old)
    await eventually(() => server.open.length === 1, 'connected')
    server.emit()
    await eventually(() => old.withEvents().length === 1, 'the first batch')
    const fresh = new FakeModel({ url: server.url + '/ws/r1/p1', room: 'r1' })
    show(fresh)
    await eventually(() => fresh.withEvents().length === 1, 'the batch again, to the new widget')
    expect(ids(fresh.withEvents()[0])).toEqual(['e1'])
    expect(server.connections).toHaveLength(1)
  })

  it('closes the socket with the last view, and shows a start-up problem without opening one', async () => {
    const model = new FakeModel({ url: server.url + '/ws/r1/p1', room: 'r1' })
    show(model)
    await eventually(() => server.open.length === 1, 'connected')
    for (const cleanup of cleanups.splice(0)) cleanup()
    await eventually(() => server.open.length === 0, 'the socket closed')
    const empty = show(new FakeModel({ url: '', room: '' }))
    expect(empty.textContent).toBe('🔴 Connection error (the widget needs url and room)')
    expect(server.connections).toHaveLength(1)
  })

  // The Python wrapper refuses such a URL (widget/tests); the module does not check it again.
  it('shows a URL no socket can dial as a connection error, and dials nothing', async () => {
    const model = new FakeModel({ url: 'ftp://nowhere/ws?token=secret', room: 'r3' })
    const indicator = show(model)
    await eventually(() => /^🔴 Connection error/.test(indicator.textContent || ''), 'the error shown')
    const status = model.get('status') as { state: string; lastError: string | null }
    expect(status.state).toBe('error')
    expect(status.lastError).toBe('no URL: not a ws:// or wss:// URL: ftp://nowhere/ws?token=***')
    expect(server.connections).toHaveLength(0)
  })
})
