// Redis losing its data under a running feed (no persistence), in a real cluster
// (scripts/cluster.mjs): Redis, 3 replicas on the Redis store, HAProxy in front,
// Node bridges from dist/index.mjs through the balancer. History is really gone,
// so every client must get exactly one reset, and nothing silently: everything
// before it up to the reset's `since` (checked against the old stream), everything
// after its `resume` (checked against the new one), once each and in order.
// Prints its figure ("[cluster] …"); times are printed, never asserted.
import { afterEach, describe, expect, it } from 'vitest'
import { type Client, closeAll, connected, startClients } from './clients'
import { type Cluster, clusterTools, figure, lastIds, startTestCluster, untilCaughtUp, until } from './cluster-kit'
import { streams, tallyAll } from './ledger'
import { Publisher } from './publisher'

const TIMEOUT = 240000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const ROOMS = Array.from({ length: 10 }, (_, i) => 'lost' + i)

describe.skipIf(!clusterTools('the Redis data-loss case'))('Redis restarted without persistence behind HAProxy', { timeout: TIMEOUT }, () => {
  let cluster: Cluster | null = null
  let clients: Client[] = []
  let publisher: Publisher | null = null

  afterEach(async () => {
    await publisher?.stop()
    publisher = null
    closeAll(clients)
    clients = []
    await cluster?.stop()
    cluster = null
  })

  it('gives every client exactly one reset and no silent gap when Redis restarts empty under a running feed', async () => {
    const c = (cluster = await startTestCluster({ persistence: 'none' }))
    clients = startClients(c.lb.url, ROOMS, 5)
    await until(() => clients.every(connected), 'every client connected')
    // Published through two replicas, so every replica's reader carries a live feed.
    let turn = 0
    publisher = new Publisher(() => c.replicas[turn++ % 2].url, ROOMS, 100)
    await until(() => clients.every((client) => client.got.length >= 5), 'every client receiving events')

    // Freeze writes (publishes wait; reads go on), read the old history whole, then kill:
    // the old stream read here is exactly what Redis held when it died.
    await c.redisCommand('CLIENT', 'PAUSE', '20000', 'WRITE')
    const before = await streams(c.redis.port, ROOMS)
    const ackedBefore = publisher.acked
    await c.restartRedis({ persistence: 'none' })
    await until(() => (publisher as Publisher).acked > ackedBefore + 300, 'publishing to resume on the empty Redis')
    await until(() => clients.every((client) => client.resets.length > 0 && connected(client)), 'every client reset and back')
    await sleep(1000)
    await publisher.stop()
    const after = await streams(c.redis.port, ROOMS)
    await untilCaughtUp(clients, lastIds(after))

    const total = tallyAll(clients, after, before)
    const reasons = [...new Set(clients.flatMap((client) => client.resets.map((r) => r.reason)))]
    const perClient = clients.map((client) => client.resets.length)
    expect(perClient.every((n) => n === 1)).toBe(true)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: clients.length })
    const old = [...before.values()].reduce((n, ids) => n + ids.length, 0)
    const fresh = [...after.values()].reduce((n, ids) => n + ids.length, 0)
    figure(`Redis killed (SIGKILL) and restarted empty (no persistence) under ~100 events/s: ${clients.length} clients, ` +
      `${clients.length} resets (exactly 1 each, reason ${reasons.join('/')}); ${old} events before and ${fresh} after in XRANGE, ` +
      `${total.expected} deliveries checked: lost 0, duplicated 0, in order; ${publisher.failures} posts refused during the outage`)
  })
})
