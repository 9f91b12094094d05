import type { Message } from './options'
import type { Status } from './status'
import type { SendResult } from './outbox'
import { redactUrl } from './redact'

/**
 * What the console shows of a socket: live state, and the URL with its query
 * values masked. Never the socket itself, whose url carries the room token.
 */
export interface SocketView {
  readonly readyState: number
  readonly url: string
}

/** What a bridge shows in the console. */
export interface DebugTarget {
  readonly room: string
  readonly ws: SocketView | null
  getStatus(): Status
  getMessages(): Message[]
  reconnect(): void
  send(data: unknown): SendResult
  clear(): void
}

/** window._wsDebug: the console commands (getStatus, getMessages, reconnect, ws), acting on the most recent bridge, plus every bridge by room. */
export interface WsDebug {
  readonly ws: SocketView | null
  getStatus(): Status | undefined
  getMessages(): Message[]
  reconnect(): void
  send(data: unknown): SendResult
  clear(): void
  /** Every live bridge of this page, by room. */
  bridges: { [room: string]: DebugTarget }
}

type DebugWindow = { _wsDebug?: WsDebug & { __wsBridge?: DebugTarget[] } }

const viewOf = (socket: SocketView | null | undefined): SocketView | null =>
  socket
    ? {
        get readyState() {
          return socket.readyState
        },
        // A socket's URL never changes.
        url: redactUrl(socket.url, ['since']),
      }
    : null

function createWsDebug(stack: DebugTarget[]): WsDebug & { __wsBridge: DebugTarget[] } {
  const latest = () => stack[stack.length - 1]
  return {
    // Kept on the object so another copy of the library (a component frame) joins the same registry.
    __wsBridge: stack,
    get ws() {
      // Viewed again: another copy of the library may have put a bridge itself on the stack.
      return viewOf(latest()?.ws)
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
  // The bridge's commands, its socket only as a view: the stack is reachable from the console too.
  const entry: DebugTarget = {
    ...target,
    get ws() {
      return viewOf(target.ws)
    },
  }
  stack.push(entry)
  return () => {
    const at = stack.indexOf(entry)
    if (at >= 0) stack.splice(at, 1)
    if (!stack.length && host._wsDebug?.__wsBridge === stack) delete host._wsDebug
  }
}
