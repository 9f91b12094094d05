/** A received frame as a value, or `problem` saying why it is refused. */
export type Frame = { value?: unknown; problem?: string }

/** JSON.parse keeps "__proto__" an own key, so parsing cannot pollute prototypes. */
export function parseFrame(data: unknown, maxFrameSize: number): Frame {
  if (typeof data !== 'string') return { problem: 'ignored a binary frame' }
  if (data.length > maxFrameSize) return { problem: 'ignored a frame over maxFrameSize (' + data.length + ' characters)' }
  try {
    return { value: JSON.parse(data) }
  } catch {
    return { problem: 'ignored a frame that is not JSON' }
  }
}
