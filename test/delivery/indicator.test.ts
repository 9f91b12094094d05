// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import type { Status } from '../../src/index'
import { describeStatus, isCountingDown, renderIndicator } from '../../src/delivery/indicator'
import { readArgs } from '../../src/streamlit/protocol'
import { statusSignature } from '../../src/delivery/signature'
import { debugWindow } from '../../src/streamlit/top-window'

const status = (patch: Partial<Status>): Status => ({
  v: 1, room: 'r1', state: 'connecting', url: null, transport: 'websocket', attempts: 0, retryAt: null,
  connectedAt: null, lastMessageAt: null, lastError: null, lastCloseCode: null, storage: 'session', storageProblem: null,
  counters: { received: 0, stored: 0, duplicates: 0, invalid: 0, dropped: 0 }, ...patch,
})

describe('describeStatus', () => {
  it('gives the four labels of the issue', () => {
    expect(describeStatus(null, 0, null).text).toBe('🟡 Connecting…')
    expect(describeStatus(status({ state: 'connecting' }), 0, null).text).toBe('🟡 Connecting…')
    expect(describeStatus(status({ state: 'connected' }), 0, null).text).toBe('🟢 Connected')
    expect(describeStatus(status({ state: 'disconnected', transport: 'polling' }), 0, 10000).text).toBe('🔴 Disconnected (polling every 10 s)')
    expect(describeStatus(status({ state: 'error', retryAt: 4200 }), 1000, null).text).toBe('🔴 Connection error (retry in 4 s)')
    expect(describeStatus(status({ state: 'error', transport: 'polling' }), 0, 10000).text).toBe('🔴 Connection error (polling every 10 s)')
    expect(describeStatus(status({ state: 'disconnected', retryAt: 2000 }), 0, null).text).toBe('🔴 Disconnected (retry in 2 s)')
    expect(describeStatus(status({ state: 'closed' }), 0, null).tone).toBe('closed')
  })

  it('counts down only while a retry is scheduled', () => {
    expect(isCountingDown(status({ state: 'error', retryAt: 5 }))).toBe(true)
    expect(isCountingDown(status({ state: 'error' }))).toBe(false)
    expect(isCountingDown(status({ state: 'connected' }))).toBe(false)
  })
})

describe('renderIndicator', () => {
  it('writes text only, takes the theme, and hides entirely', () => {
    document.body.innerHTML = '<div id="status"></div>'
    const el = document.getElementById('status') as HTMLElement
    renderIndicator(el, { tone: 'down', text: '<img src=x onerror=alert(1)>' }, true, { textColor: 'rgb(250, 250, 250)', font: 'serif', base: 'dark' })
    expect(el.children).toHaveLength(0)
    expect(el.textContent).toBe('<img src=x onerror=alert(1)>')
    expect(document.body.style.color).toBe('rgb(250, 250, 250)')
    expect(document.body.getAttribute('data-theme')).toBe('dark')
    renderIndicator(el, { tone: 'connected', text: '🟢 Connected' }, false)
    expect(el.hidden).toBe(true)
    expect(el.textContent).toBe('')
    expect(el.getAttribute('data-state')).toBe('connected')
  })
})

describe('readArgs', () => {
  it('fills defaults and drops mistyped values', () => {
    expect(readArgs({ url: 'ws://h/ws', room: 'r', ack: 3, ack_tab: 't', show_status: false, throttle_ms: 50, max_messages: 10, fallback_url: 'http://h/e' })).toEqual({
      url: 'ws://h/ws', room: 'r', fallbackUrl: 'http://h/e', tokenUrl: null, player: null, maxMessages: 10, throttleMs: 50, showStatus: false, ackTab: 't', ack: 3,
    })
    expect(readArgs({ ack: 1.5, throttle_ms: -1, max_messages: 'x', fallback_url: '' })).toMatchObject({
      url: '', room: '', ack: null, ackTab: null, throttleMs: 100, maxMessages: 100, fallbackUrl: null, showStatus: true,
    })
    expect(readArgs(null).room).toBe('')
  })
})

describe('statusSignature', () => {
  it('changes with the connection, not with counters or timestamps', () => {
    const a = status({ state: 'connected' })
    expect(statusSignature({ ...a, lastMessageAt: 5, counters: { ...a.counters, stored: 9 } })).toBe(statusSignature(a))
    expect(statusSignature({ ...a, state: 'error' })).not.toBe(statusSignature(a))
    expect(statusSignature({ ...a, retryAt: 7 })).not.toBe(statusSignature(a))
  })
})

describe('debugWindow', () => {
  it('is the top window when the frame may touch it, else the frame itself', () => {
    const self = {} as Window
    const top = { location: { href: 'http://app/' } } as unknown as Window
    expect(debugWindow(Object.assign(self, { top, parent: top }))).toBe(top)
    const crossOrigin = {} as Window
    Object.defineProperty(crossOrigin, 'location', { get: () => { throw new Error('SecurityError') } })
    const frame = {} as Window
    expect(debugWindow(Object.assign(frame, { top: crossOrigin, parent: crossOrigin }))).toBe(frame)
  })
})
