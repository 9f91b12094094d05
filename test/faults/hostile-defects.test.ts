// Unit tests for the product defects the hostile-input suite found
// (test/faults/hostile.e2e.test.ts); each fails without its fix.
import { describe, expect, it } from 'vitest'
import { type DebugTarget, exposeDebug, type WsDebug } from '../../src/bridge/debug'

const target = (room: string): DebugTarget => ({
  room,
  ws: null,
  getStatus: () => {
    throw new Error('not used')
  },
  getMessages: () => [],
  reconnect: () => {},
  send: () => 'dropped',
  clear: () => {},
})

describe('_wsDebug.bridges', () => {
  it('keeps a room named "__proto__" as an own key instead of swapping the prototype', () => {
    const win = {} as Window & { _wsDebug?: WsDebug }
    const proto = target('__proto__')
    const other = target('lobby')
    exposeDebug(win, proto)
    exposeDebug(win, other)
    const bridges = (win._wsDebug as WsDebug).bridges
    expect(Object.keys(bridges).sort()).toEqual(['__proto__', 'lobby'])
    // Each entry is the bridge's console view (its socket shown as a view), not the bridge object itself.
    expect(Object.getOwnPropertyDescriptor(bridges, '__proto__')?.value.room).toBe('__proto__')
    expect(bridges.lobby.room).toBe('lobby')
    expect(Object.prototype).not.toHaveProperty('room')
  })
})
