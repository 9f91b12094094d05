import type { Message } from '../bridge/options'
import { warnOnce } from '../warn'
import type { GuardedStorage } from './guarded'
import { messagesKey } from './keys'

export interface MessageLogOptions {
  room: string
  maxMessages: number
  dedupKey: string | ((message: Message) => unknown)
  dedupWindow: number
  /** Called with how many stored messages a full storage forced out. */
  onEvicted: (count: number) => void
  /** Where to resume when storage holds no message: the last reset's `resume` id, kept in the status. */
  resumeFrom?: string
}

export interface MessageLog {
  /**
   * 'stored', or 'duplicate' when its id is among the kept messages (these
   * survive reloads) or the last dedupWindow seen. `text` is the message as
   * JSON, made once here so that saving never serializes a message again.
   */
  add(message: Message, text: string): 'stored' | 'duplicate'
  /** The kept messages, oldest first (a copy). */
  messages(): Message[]
  /** The newest kept id that can travel in a URL, else a reset's `resume` id: where to resume. */
  lastId(): string | undefined
  clear(): void
  /** The server's history restarted at the id `resume`: forgets messages and seen ids; returns how many messages went. */
  restart(resume: string): number
  /** Writes what changed since the last save; a full storage evicts the oldest messages until it fits. */
  save(): void
}

// Ids longer than this are remembered by a hash, so a hostile id cannot bloat memory or storage.
const MAX_KEY_LENGTH = 200

/** A JSON object: what a message must be. */
export const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isMessageArray = (value: unknown): value is Message[] => Array.isArray(value) && value.every(isMessage)

function hash(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(36)
}

/** The dedup key of an id: strings and numbers stay apart ("5" is not 5); null and undefined mean "no id". */
export function idKey(id: unknown): string | undefined {
  let text: string | undefined
  try {
    text = id === undefined || id === null ? undefined : typeof id === 'string' ? id : JSON.stringify(id)
  } catch {
    // a BigInt or a cycle: no usable id
  }
  if (text === undefined) return undefined
  const key = typeof id === 'string' ? 's' + text : text
  // Measured on the id itself, not on the key's type prefix: an id of exactly 200 characters is kept as it is.
  return text.length > MAX_KEY_LENGTH ? '#' + key.length + ':' + hash(key) : key
}

export function createMessageLog(storage: GuardedStorage, options: MessageLogOptions): MessageLog {
  const { room, maxMessages, dedupKey, dedupWindow, onEvicted } = options
  const idOf = typeof dedupKey === 'function' ? dedupKey : (message: Message) => message[dedupKey]
  // A dedupKey function that throws means "no id", like a missing field.
  const safeId = (message: Message): unknown => {
    try {
      return idOf(message)
    } catch {
      return undefined
    }
  }
  const keyOf = (message: Message) => idKey(safeId(message))
  let resumeFrom = options.resumeFrom

  let messages: Message[] = (storage.read(messagesKey(room), isMessageArray) || []).slice(-maxMessages)
  let texts = messages.map((message) => JSON.stringify(message))
  // Ids remembered for dedup; `order` lists them oldest first from `head`, so forgetting the
  // oldest is O(1) (reaching a Set's first entry walks every deleted slot V8 still keeps).
  const seen = new Set<string>()
  let order: string[] = []
  let head = 0
  const remember = (key: string) => {
    seen.add(key)
    order.push(key)
    // Kept messages' ids are always remembered; the window adds older ones on top.
    while (seen.size > dedupWindow + maxMessages) seen.delete(order[head++])
    if (head > dedupWindow + maxMessages) {
      order = order.slice(head)
      head = 0
    }
  }
  for (const message of messages) {
    const key = keyOf(message)
    if (key && !seen.has(key)) remember(key)
  }
  let dirty = false

  function forget() {
    resumeFrom = undefined
    messages = []
    texts = []
    seen.clear()
    order = []
    head = 0
    dirty = true
  }

  return {
    add(message, text) {
      const key = keyOf(message)
      if (key !== undefined) {
        if (seen.has(key)) return 'duplicate'
        remember(key)
      }
      messages.push(message)
      texts.push(text)
      if (messages.length > maxMessages) {
        messages.splice(0, messages.length - maxMessages)
        texts.splice(0, texts.length - maxMessages)
      }
      dirty = true
      return 'stored'
    },
    messages: () => messages.slice(),
    lastId() {
      for (let i = messages.length - 1; i >= 0; i--) {
        const id = safeId(messages[i])
        if (typeof id === 'string' || typeof id === 'number') return String(id)
      }
      return resumeFrom
    },
    clear: forget,
    restart(at) {
      const dropped = messages.length
      forget()
      resumeFrom = at
      return dropped
    },
    save() {
      if (!dirty) return
      dirty = false
      let evicted = 0
      // Drop the oldest tenth (at least one) and retry: a few rewrites, not one per message.
      // The newest message always stays in memory: it is the resume id, even when storage holds nothing.
      while (!storage.writeText(messagesKey(room), '[' + texts.join(',') + ']') && messages.length > 1) {
        const drop = Math.max(1, Math.ceil(messages.length / 10))
        messages.splice(0, drop)
        texts.splice(0, drop)
        evicted += drop
      }
      if (evicted) {
        warnOnce('storage is full: dropped the oldest messages of room "' + room + '"')
        onEvicted(evicted)
      }
    },
  }
}
