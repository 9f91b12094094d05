import { vi } from 'vitest'

/**
 * Fake clocks with real I/O: sockets still connect and fail for real, while
 * every delay of the bridge (backoff, heartbeat, polling, flushes) only
 * passes when the test advances it. Deterministic, and never a sleep.
 */
export function useFakeClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
}

const realTick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Lets real I/O and zero-delay timers run until `check` holds. */
export async function settle(check: () => boolean, what = 'condition'): Promise<void> {
  for (let round = 0; round < 50000; round++) {
    vi.advanceTimersByTime(0)
    if (check()) return
    await realTick()
  }
  throw new Error('never happened: ' + what)
}

/** Lets pending I/O and zero-delay timers run a while, for checking that something does NOT happen. */
export async function drain(rounds = 200): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    vi.advanceTimersByTime(0)
    await realTick()
  }
}

/** A loopback port with nothing listening: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
