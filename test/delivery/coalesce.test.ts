import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Clock, createCoalescer } from '../../src/delivery/coalesce'

/** A manual clock: timers run only when advance() passes their time. */
function fakeClock() {
  let now = 0
  let next = 1
  const timers = new Map<number, { at: number; run: () => void }>()
  const clock: Clock = {
    now: () => now,
    setTimeout(run, ms) {
      const id = next++
      timers.set(id, { at: now + ms, run })
      return id
    },
    clearTimeout: (id) => void timers.delete(id as number),
  }
  function advance(ms: number) {
    const end = now + ms
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      timers.delete(due[0])
      now = Math.max(now, due[1].at)
      due[1].run()
    }
    now = end
  }
  return { clock, advance, pending: () => timers.size }
}

describe('createCoalescer', () => {
  it('sends nothing before ready, then one send with everything marked so far', () => {
    const { clock, advance } = fakeClock()
    const sent: number[] = []
    const c = createCoalescer(() => sent.push(clock.now()), 100, clock)
    c.mark()
    c.mark()
    advance(1000)
    expect(sent).toEqual([])
    c.ready()
    advance(0)
    expect(sent).toEqual([1000])
  })

  it('sends nothing while idle, however long', () => {
    const { clock, advance, pending } = fakeClock()
    let sends = 0
    const c = createCoalescer(() => sends++, 100, clock)
    c.ready()
    advance(60_000)
    expect(sends).toBe(0)
    expect(pending()).toBe(0)
  })

  it('sends a lone change on the next task (leading edge), not after a window', () => {
    const { clock, advance } = fakeClock()
    const sent: number[] = []
    const c = createCoalescer(() => sent.push(clock.now()), 100, clock)
    c.ready()
    advance(500)
    c.mark()
    advance(0)
    expect(sent).toEqual([500])
  })

  it('during a burst: at most one send per window, and a last send after the last mark', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 300 }), (gaps, interval) => {
        const { clock, advance } = fakeClock()
        const sent: number[] = []
        let marked = 0
        let seenAtSend = 0
        const c = createCoalescer(() => {
          sent.push(clock.now())
          seenAtSend = marked
        }, interval, clock)
        c.ready()
        for (const gap of gaps) {
          advance(gap)
          marked++
          c.mark()
        }
        advance(interval + 1)
        // Nothing lost: the last send saw every mark.
        expect(seenAtSend).toBe(marked)
        // Throttled: sends at least `interval` apart.
        for (let i = 1; i < sent.length; i++) expect(sent[i] - sent[i - 1]).toBeGreaterThanOrEqual(interval)
        // And not more than one per window over the burst's span.
        const span = sent[sent.length - 1] - sent[0]
        expect(sent.length).toBeLessThanOrEqual(Math.floor(span / interval) + 1)
      }),
    )
  })

  it('uses a new interval from the next send on, and sends nothing after dispose', () => {
    const { clock, advance } = fakeClock()
    const sent: number[] = []
    const c = createCoalescer(() => sent.push(clock.now()), 100, clock)
    c.ready()
    c.mark()
    advance(0)
    c.setInterval(500)
    c.mark()
    advance(1000)
    expect(sent).toEqual([0, 500])
    c.mark()
    c.dispose()
    advance(5000)
    expect(sent).toEqual([0, 500])
  })
})
