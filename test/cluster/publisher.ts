// Publishes a steady stream of events into rooms through the test driver
// (POST /rooms/{room}/events) of one replica, until stopped. A failed post (Redis
// down, a replica gone) is tried again on the next tick: Redis's stream, not this
// object's acks, is the ground truth. `bases` names a replica's own URL, never
// HAProxy's: the balancer refuses the publish endpoint at the edge (deploy/haproxy.cfg).
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export class Publisher {
  acked = 0
  failures = 0
  private running = true
  private loops: Array<Promise<void>>

  /** About `perSecond` events a second in total, spread over `rooms`, each post a burst of `burst`. */
  constructor(private bases: () => string, rooms: string[], perSecond: number, private burst = 2, private extra: Record<string, unknown> = {}) {
    const pause = (1000 * burst * rooms.length) / perSecond
    this.loops = rooms.map((room, i) => this.run(room, pause, (i * pause) / rooms.length))
  }

  private async run(room: string, pause: number, offset: number): Promise<void> {
    await sleep(offset)
    while (this.running) {
      const started = Date.now()
      try {
        const response = await fetch(this.bases() + '/rooms/' + room + '/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'tick', count: this.burst, t: Date.now(), ...this.extra }),
          signal: AbortSignal.timeout(10000),
        })
        if (!response.ok) throw new Error('HTTP ' + response.status)
        this.acked += ((await response.json()) as { ids: string[] }).ids.length
      } catch {
        this.failures++
      }
      await sleep(Math.max(0, pause - (Date.now() - started)))
    }
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }
}
