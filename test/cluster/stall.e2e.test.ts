// A stalled consumer in a real cluster (scripts/cluster.mjs): one Node bridge stops
// reading its socket (a frozen tab) while its room gets large events. The replica
// drops it once a send stalls (SEND_TIMEOUT_S), the others keep their pace, and when
// it reads again it resumes with since and gets every event once, in order, checked
// against Redis's own stream (XRANGE). Prints the delivery p99 of the other rooms'
// clients with no large events, under them with everyone reading, and under them with
// the consumer stalled: the last against the second is what the stall itself costs
// the others. Times are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest'
import type { WebSocketClass } from '../../src/index'
import { type Client, PausableSocket, closeAll, connected, startClient, startClients, stateAfter } from './clients'
import { adminHeaders, type Cluster, clusterTools, figure, lastIds, startTestCluster, untilCaughtUp, until } from './cluster-kit'
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
    const stats = (await (await fetch(replica.url + '/stats', { headers: adminHeaders() })).json()) as { ws_open_by_room: Record<string, number> }
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
    const normalFrom = Date.now()
    await sleep(2000)

    // Large events into its room: first with everyone reading (the same load, no stall), then
    // with the consumer frozen until the replica gives its socket up, once they have filled the
    // kernel's and HAProxy's buffers and a send stalls.
    const bulk = new Publisher(() => c.replicas[2].url, [STALL_ROOM], 200, 10, { pad: 'x'.repeat(16000) })
    publishers.push(bulk)
    const loadedFrom = Date.now()
    await sleep(3000)
    const stalledAt = Date.now()
    ;(stalled.bridge.ws as unknown as PausableSocket).pauseReading()
    const socketsBefore = await openIn(c, STALL_ROOM)
    await until(async () => (await openIn(c, STALL_ROOM)) === socketsBefore - 1, 'the replica to drop the stalled socket', 120000)
    const droppedAt = Date.now()
    await bulk.stop()
    // The clients of the other rooms (the stalled room's healthy clients get the large events too).
    const calmClients = others.filter((client) => client.room !== STALL_ROOM)
    const quietP99 = p99Between(calmClients, normalFrom, loadedFrom)
    const loadedP99 = p99Between(calmClients, loadedFrom, stalledAt)
    const stalledP99 = p99Between(calmClients, stalledAt, droppedAt)

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
      `delivery p99 ${quietP99} ms with no large events, ${loadedP99} ms under them with everyone reading, ${stalledP99} ms ` +
      `while the consumer was stalled (${(stalledP99 / loadedP99).toFixed(1)}x the same load without a stall); all ${others.length} others lost 0, duplicated 0`)
  })
})
