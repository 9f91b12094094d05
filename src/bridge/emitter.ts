import { errorText } from '../warn'

type EventMap = { [event: string]: unknown[] }

export interface Emitter<E extends EventMap> {
  /** Adds a listener; the returned function removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void
  emit<K extends keyof E>(event: K, ...args: E[K]): void
  /** Removes every listener. */
  clear(): void
}

export function createEmitter<E extends EventMap>(): Emitter<E> {
  const listeners: { [K in keyof E]?: Array<(...args: E[K]) => void> } = {}
  return {
    on(event, listener) {
      listeners[event] = (listeners[event] || []).concat(listener)
      return () => {
        listeners[event] = (listeners[event] || []).filter((l) => l !== listener)
      }
    },
    emit(event, ...args) {
      for (const listener of listeners[event] || []) {
        // One faulty listener must not stop the feed or the other listeners.
        try {
          listener(...args)
        } catch (err) {
          console.error('[ws-bridge] a "' + String(event) + '" listener threw: ' + errorText(err))
        }
      }
    },
    clear() {
      for (const event in listeners) delete listeners[event]
    },
  }
}
