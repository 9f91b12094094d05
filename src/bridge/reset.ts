// The server's answer when it cannot replay from the client's last id (PROTOCOL.md,
// "Reset"): the events between that id and `resume` are gone for good, so the
// bridge drops the history it kept (it would mix two histories), forgets the ids it
// saw (a server that lost its state may number events anew), says so once, and
// resumes from `resume`. Apps reload their own state from the server when they hear it.

/** A reset as the bridge reports it: in the 'reset' event and as status.lastReset. */
export interface Reset {
  /** The id the client resumed with, as the server echoed it; null when it sent none. */
  since: string | null
  /** The id the bridge resumes from from now on. */
  resume: string
  /** The server's reason: 'evicted', 'epoch', 'ahead', 'unknown', or its own word. */
  reason: string
  /** When the bridge received it, in ms since the epoch. */
  at: number
  /** Kept messages dropped with the old history. */
  dropped: number
}

/** The reset frame in `value`, or null when it is none: `{ type: 'reset', resume: <string> }` and no id. */
export function readReset(value: unknown): Pick<Reset, 'since' | 'resume' | 'reason'> | null {
  const frame = value as { type?: unknown; id?: unknown; resume?: unknown; since?: unknown; reason?: unknown } | null
  if (!frame || typeof frame !== 'object' || frame.type !== 'reset' || typeof frame.resume !== 'string' || frame.id != null) return null
  return {
    since: typeof frame.since === 'string' ? frame.since : null,
    resume: frame.resume,
    reason: typeof frame.reason === 'string' ? frame.reason.slice(0, 200) : 'unknown',
  }
}

/** A stored lastReset, checked: storage may hold anything. */
export const isReset = (value: unknown): value is Reset => {
  const reset = value as Reset | null
  return !!reset && typeof reset.resume === 'string' && Number.isFinite(reset.at)
}
