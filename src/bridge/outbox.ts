/** What send() did with a message. */
export type SendResult = 'sent' | 'queued' | 'dropped'

export type Outgoing = string | ArrayBufferLike | Blob | ArrayBufferView

/** Outgoing messages held while disconnected, bounded, flushed in order on open. */
export interface Outbox {
  push(data: Outgoing): boolean
  /** Sends queued messages in order while `send` succeeds; the rest stay queued. */
  flush(send: (data: Outgoing) => boolean): void
  clear(): void
}

export function createOutbox(limit: number): Outbox {
  let queue: Outgoing[] = []
  return {
    push(data) {
      if (queue.length >= limit) return false
      queue.push(data)
      return true
    },
    flush(send) {
      let sent = 0
      while (sent < queue.length && send(queue[sent])) sent++
      queue = queue.slice(sent)
    },
    clear() {
      queue = []
    },
  }
}

/** A send() argument as a frame: strings and binary go as they are, anything else as JSON. */
export function encode(data: unknown): Outgoing {
  if (typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof Blob) return data
  let text: string | undefined
  try {
    text = JSON.stringify(data)
  } catch {
    // circular, or a BigInt: refused below
  }
  if (text === undefined) throw new TypeError('[ws-bridge] send() takes a string, binary or a JSON value')
  return text
}
