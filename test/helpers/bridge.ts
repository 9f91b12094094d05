import WebSocket from 'ws'
import { connect } from '../../src/bridge/bridge'
import type { ConnectOptions, Message, WebSocketClass } from '../../src/bridge/options'
import type { BridgeError, Bridge } from '../../src/bridge/bridge'
import type { Status } from '../../src/bridge/status'
import { memoryStorage } from '../../src/storage/guarded'

export const NodeWebSocket = WebSocket as unknown as WebSocketClass

export interface Recorded {
  bridge: Bridge
  messages: Message[]
  statuses: Array<[Status, Status]>
  errors: BridgeError[]
  states: () => string[]
}

/** A bridge in Node against a real server, with memory storage and every event recorded. */
export function startBridge(options: Partial<ConnectOptions> & Pick<ConnectOptions, 'url'>): Recorded {
  const bridge = connect({ room: 'r1', WebSocket: NodeWebSocket, storage: memoryStorage(), ...options })
  const recorded: Recorded = {
    bridge,
    messages: [],
    statuses: [],
    errors: [],
    states: () => recorded.statuses.map(([s]) => s.state),
  }
  bridge.on('message', (m) => recorded.messages.push(m))
  bridge.on('status', (s, old) => recorded.statuses.push([s, old]))
  bridge.on('error', (e) => recorded.errors.push(e))
  return recorded
}
