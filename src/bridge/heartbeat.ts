export interface HeartbeatOptions {
  interval: number
  timeout: number
  ping: () => void
  dead: () => void
}

export interface Heartbeat {
  /** The socket opened: ping every interval. */
  start(): void
  stop(): void
  /** Any frame proves the link alive; a pong also proves the server answers pings. */
  received(isPong: boolean): void
}

/**
 * App-level ping with a safe default: the timeout is enforced only once the
 * server has answered a ping (on any connection so far), so a plain server that
 * ignores pings is never reconnected in a loop, while a half-open link to a
 * server that does answer is found within interval + timeout.
 */
export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  let pingTimer: ReturnType<typeof setInterval> | undefined
  let deadline: ReturnType<typeof setTimeout> | undefined
  let answers = false

  const stop = () => {
    clearInterval(pingTimer)
    clearTimeout(deadline)
    pingTimer = deadline = undefined
  }

  return {
    start() {
      // A server that answered pings once answers them on every connection: a new
      // link that goes half-open before its first pong is found too.
      stop()
      if (!options.interval) return
      pingTimer = setInterval(() => {
        options.ping()
        if (answers && deadline === undefined) {
          deadline = setTimeout(() => {
            stop()
            options.dead()
          }, options.timeout)
        }
      }, options.interval)
    },
    stop,
    received(isPong) {
      if (isPong) answers = true
      clearTimeout(deadline)
      deadline = undefined
    },
  }
}
