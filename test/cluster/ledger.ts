// The ground truth of the cluster cases: Redis's own stream of each room, read with
// XRANGE (in pages), and the comparison of what a client got against it.
import { redisCli } from '../../scripts/cluster.mjs'
import type { Client } from './clients'

const PAGE = 5000

/** Every retained event id of `room`, in stream order: `wsb:{room}:stream`, entry `<seq>-0`, field `ep` = its epoch. */
export async function streamIds(redisPort: number, room: string): Promise<string[]> {
  const key = 'wsb:{' + room + '}:stream'
  const ids: string[] = []
  let start = '-'
  for (;;) {
    // -c: on a Redis Cluster, follow the room's slot to the node that serves it.
    const out = (await redisCli(redisPort, '-c', 'XRANGE', key, start, '+', 'COUNT', String(PAGE))) as string
    const lines = out.split('\n').filter((line) => line.length > 0)
    let last: string | null = null
    let count = 0
    for (let i = 0; i < lines.length; i++) {
      if (/^\d+-\d+$/.test(lines[i]) && lines[i + 1] === 'ep') {
        last = lines[i]
        ids.push(lines[i + 2] + '-' + lines[i].split('-')[0])
        count++
        i += 4 // the entry id, then ep <epoch> e <body>
      }
    }
    if (count < PAGE || last === null) return ids
    const [ms, seq] = last.split('-')
    start = ms + '-' + (Number(seq) + 1)
  }
}

export interface Tally {
  /** Events of the stream the client should have had (after its first one, outside any announced gap). */
  expected: number
  lost: number
  duplicated: number
  inOrder: boolean
  resets: number
}

/**
 * What `client` got against `stream` (the room's ids, oldest first). A socket without
 * `since` goes live from "now", so the client owes everything from its first event on;
 * after a reset, everything after its `resume` in `stream` (when `stream` is the new
 * history, `before` holds the old one, which the part before the reset is checked against).
 */
export function tally(client: Client, stream: string[], before: string[] = stream): Tally {
  const segments: string[][] = [[]]
  for (const entry of client.got) {
    if (entry.startsWith('reset:')) segments.push([])
    else segments[segments.length - 1].push(entry)
  }
  let expected = 0
  let lost = 0
  let duplicated = 0
  let inOrder = true
  segments.forEach((got, i) => {
    const log = i === 0 ? before : stream
    let owed: string[]
    if (i === 0) {
      owed = got.length ? log.slice(Math.max(0, log.indexOf(got[0]))) : []
      // Without a reset, the segment runs to the end of the stream; before one, to where the reset said the gap began.
      if (segments.length > 1) {
        const since = client.resets[0].since
        owed = since === null ? [] : owed.slice(0, owed.indexOf(since) + 1)
      }
    } else {
      const resume = client.resets[i - 1].resume
      const at = log.indexOf(resume)
      owed = log.slice(at + 1)
      if (i < segments.length - 1) owed = owed.slice(0, owed.indexOf(client.resets[i].since as string) + 1)
    }
    const seen = new Set<string>()
    for (const id of got) {
      if (seen.has(id)) duplicated++
      seen.add(id)
    }
    expected += owed.length
    lost += owed.filter((id) => !seen.has(id)).length
    const positions = got.map((id) => owed.indexOf(id))
    if (positions.some((p, k) => p < 0 || (k > 0 && p <= positions[k - 1]))) {
      inOrder = false
      // DEBUG_LEDGER=1 prints what a client got out of order, against what it was owed.
      if (process.env.DEBUG_LEDGER) console.log('DISORDER', client.name, client.room, i, JSON.stringify(client.resets), JSON.stringify(got.slice(0, 8)), JSON.stringify(got.slice(-5)), JSON.stringify(owed.slice(0, 8)), JSON.stringify(positions.filter((p, k) => p < 0 || (k > 0 && p <= positions[k - 1])).slice(0, 5)), JSON.stringify(got.filter((id, k) => positions[k] < 0).slice(0, 5)))
    }
  })
  return { expected, lost, duplicated, inOrder, resets: client.resets.length }
}

/** Sums the tallies of `clients` against their rooms' streams. */
export function tallyAll(clients: Client[], streams: Map<string, string[]>, before?: Map<string, string[]>): Tally & { clients: number } {
  const total = { clients: clients.length, expected: 0, lost: 0, duplicated: 0, inOrder: true, resets: 0 }
  for (const client of clients) {
    const stream = streams.get(client.room) as string[]
    const t = tally(client, stream, before ? before.get(client.room) : stream)
    total.expected += t.expected
    total.lost += t.lost
    total.duplicated += t.duplicated
    total.inOrder &&= t.inOrder
    total.resets += t.resets
  }
  return total
}

export async function streams(redisPort: number, rooms: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>()
  for (const room of rooms) map.set(room, await streamIds(redisPort, room))
  return map
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
