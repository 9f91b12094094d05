import type { Message } from './options'
import type { Status } from './status'
import type { SendResult } from './outbox'

/** What a bridge shows in the console. */
export interface DebugTarget {
  readonly room: string
  readonly ws: WebSocket | null
  getStatus(): Status
  getMessages(): Message[]
  reconnect(): void
  send(data: unknown): SendResult
  clear(): void
}

/** window._wsDebug: the console commands (getStatus, getMessages, reconnect, ws), acting on the most recent bridge, plus every bridge by room. */
export interface WsDebug {
  readonly ws: WebSocket | null
  getStatus(): Status | undefined
  getMessages(): Message[]
  reconnect(): void
  send(data: unknown): SendResult
  clear(): void
  /** Every live bridge of this page, by room. */
  bridges: { [room: string]: DebugTarget }
}

type DebugWindow = { _wsDebug?: WsDebug & { __wsBridge?: DebugTarget[] } }

function createWsDebug(stack: DebugTarget[]): WsDebug & { __wsBridge: DebugTarget[] } {
  const latest = () => stack[stack.length - 1]
  return {
    // Kept on the object so another copy of the library (a component frame) joins the same registry.
    __wsBridge: stack,
    get ws() {
      return latest()?.ws ?? null
    },
    getStatus: () => latest()?.getStatus(),
    getMessages: () => latest()?.getMessages() ?? [],
    reconnect: () => latest()?.reconnect(),
    send: (data) => latest()?.send(data) ?? 'dropped',
    clear: () => latest()?.clear(),
    get bridges() {
      // No prototype: a room named "__proto__" is an own key like any other.
      const byRoom: { [room: string]: DebugTarget } = Object.create(null)
      for (const bridge of stack) byRoom[bridge.room] = bridge
      return byRoom
    },
  }
}

/** Adds the bridge to win._wsDebug; the returned function takes it out again. */
export function exposeDebug(win: Window, target: DebugTarget): () => void {
  const host = win as unknown as DebugWindow
  const existing = host._wsDebug?.__wsBridge
  const stack = Array.isArray(existing) ? existing : []
  if (!existing) host._wsDebug = createWsDebug(stack)
  stack.push(target)
  return () => {
    const at = stack.indexOf(target)
    if (at >= 0) stack.splice(at, 1)
    if (!stack.length && host._wsDebug?.__wsBridge === stack) delete host._wsDebug
  }
}
