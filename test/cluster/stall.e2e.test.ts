// A stalled consumer in a real cluster (scripts/cluster.mjs): one Node bridge stops
// reading its socket (a frozen tab) while its room gets large events. The replica
// drops it once a send stalls (SEND_TIMEOUT_S), the others keep their pace, and when
// it reads again it resumes with since and gets every event once, in order, checked
// against Redis's own stream (XRANGE). Prints the others' delivery p99 before and
// during the stall; times are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest'
import type { WebSocketClass } from '../../src/index'
import { type Client, PausableSocket, closeAll, connected, startClient, startClients, stateAfter } from './clients'
import { type Cluster, clusterTools, figure, lastIds, startTestCluster, untilCaughtUp, until } from './cluster-kit'
import { percentile, streams, tallyAll } from './ledger'
import { Publisher } from './publisher'

const TIMEOUT = 180000
const ROOMS = Array.from({ length: 10 }, (_, i) => 'calm' + i)
const STALL_ROOM = 'stall'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Open sockets of `room` summed over the replicas (their own /stats). */
async function openIn(cluster: Cluster, room: string): Promise<number> {
  let total = 0
  for (const replica of cluster.replicas) {
    const stats = (await (await fetch(replica.url + '/stats')).json()) as { ws_open_by_room: Record<string, number> }
    total += stats.ws_open_by_room[room] ?? 0
  }
  return total
}

const p99Between = (clients: Client[], from: number, to: number) =>
  percentile(clients.flatMap((c) => c.latencies.filter((l) => l.at >= from && l.at < to).map((l) => l.ms)), 99)

describe.skipIf(!clusterTools('the stalled consumer case'))('a stalled consumer behind HAProxy on Redis', { timeout: TIMEOUT }, () => {
  let cluster: Cluster | null = null
  let clients: Client[] = []
  const publishers: Publisher[] = []

  afterEach(async () => {
    for (const publisher of publishers.splice(0)) await publisher.stop()
    closeAll(clients)
    clients = []
    await cluster?.stop()
    cluster = null
  })

  it('closes a consumer that stopped reading, keeps the others going, and lets it resume later without loss', async () => {
    const c = (cluster = await startTestCluster({ env: { SEND_TIMEOUT_S: '1' } }))
    const others = startClients(c.lb.url, [...ROOMS, STALL_ROOM], 3)
    const stalled = startClient(c.lb.url, STALL_ROOM, 'frozen', { WebSocket: PausableSocket as unknown as WebSocketClass, heartbeatInterval: 600000 })
    clients = [...others, stalled]
    await until(() => clients.every(connected), 'every client connected')
    const calm = new Publisher(() => c.replicas[2].url, ROOMS, 100)
    publishers.push(calm)
    await until(() => others.every((client) => client.room === STALL_ROOM || client.latencies.length >= 5), 'every client of the calm rooms receiving events')
    await sleep(2000)
    const normalFrom = Date.now() - 2000

    const stalledAt = Date.now()
    ;(stalled.bridge.ws as unknown as PausableSocket).pauseReading()
    const socketsBefore = await openIn(c, STALL_ROOM)
    // Large events into its room until the replica gives its socket up: they fill the
    // kernel's and HAProxy's buffers, then a send stalls.
    const bulk = new Publisher(() => c.replicas[2].url, [STALL_ROOM], 200, 10, { pad: 'x'.repeat(16000) })
    publishers.push(bulk)
    await until(async () => (await openIn(c, STALL_ROOM)) === socketsBefore - 1, 'the replica to drop the stalled socket', 120000)
    const droppedAt = Date.now()
    await bulk.stop()
    // The clients of the other rooms: the stalled room's own healthy clients also get the large events.
    const calmClients = others.filter((client) => client.room !== STALL_ROOM)
    const duringP99 = p99Between(calmClients, stalledAt, droppedAt)
    const normalP99 = p99Between(calmClients, normalFrom, stalledAt)

    stalled.bridge.ws && (stalled.bridge.ws as unknown as PausableSocket).resumeReading()
    await until(() => stateAfter(stalled, 'connected', droppedAt) !== null, 'the stalled client to reconnect', 60000)
    await sleep(1000)
    await calm.stop()
    const logs = await streams(c.redis.port, [...ROOMS, STALL_ROOM])
    await untilCaughtUp(clients, lastIds(logs))

    const mine = tallyAll([stalled], logs)
    const rest = tallyAll(others, logs)
    expect(mine).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    expect(rest).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    const bulkEvents = logs.get(STALL_ROOM)?.length ?? 0
    figure(`stalled consumer: dropped by its replica after ${bulkEvents} events of 16 kB filled the buffers, ` +
      `resumed with since and got all ${mine.expected} once, in order (resets 0); the ${calmClients.length} clients of the other rooms: ` +
      `delivery p99 ${normalP99} ms before, ${duringP99} ms during the stall (${(duringP99 / normalP99).toFixed(1)}x); all ${others.length} others lost 0, duplicated 0`)
  })
})
