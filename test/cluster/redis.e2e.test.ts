// Redis faults and a reconnect storm in a real cluster (scripts/cluster.mjs): Redis,
// 3 replicas on the Redis store, HAProxy in front, Node bridges from dist/index.mjs
// through the balancer. Each case checks every client against Redis's own stream
// (XRANGE): every event once, in order, no reset. Each prints its figure
// ("[cluster] …"); times are printed, never asserted.
// Where Redis restarts empty (no persistence) history is really gone: every client must
// get exactly one reset, and lose nothing silently around it (everything up to the reset's
// `since` against the old stream, everything after its `resume` against the new one).
// On a real Redis Cluster (scripts/redis-cluster.mjs: 3 masters with a replica each), a master
// SIGKILLed under a running feed and its replica promoted: the promise (server/README.md, "Redis
// Cluster") is exactly one reset for every client of that master's rooms, checked the same way
// (the old stream as the master held it when it died), and nothing at all for everyone else.
// Sized for 2 cores: 50 clients for the restarts, 1,000 (100 rooms of 10) for the storm, 45 on the Redis Cluster.
import { afterEach, describe, expect, it } from 'vitest'
import { type Client, closeAll, connected, startClients, stateAfter } from './clients'
import { adminHeaders, type Cluster, clusterTools, figure, lastIds, startTestCluster, untilCaughtUp, until } from './cluster-kit'
import { percentile, streams, tallyAll } from './ledger'
import { Publisher } from './publisher'
import { redisCli } from '../../scripts/cluster.mjs'

const TIMEOUT = 240000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const rooms = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => prefix + i)
const LOST_ROOMS = rooms('lost', 10)
const SHARD_ROOMS = rooms('shard', 9)

describe.skipIf(!clusterTools('the Redis fault cases'))('Redis faults and a reconnect storm behind HAProxy', { timeout: TIMEOUT }, () => {
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

  it('loses nothing and resets no one when Redis is killed and restarted with the shipped persistence (AOF, fsync always)', async () => {
    const names = rooms('aof', 10)
    const c = (cluster = await startTestCluster())
    clients = startClients(c.lb.url, names, 5)
    await until(() => clients.every(connected), 'every client connected')
    publisher = new Publisher(() => c.replicas[2].url, names, 100)
    await until(() => clients.every((client) => client.got.length >= 3), 'every client receiving events')
    const ackedBefore = publisher.acked
    await c.restartRedis()
    // The feed resumes: new events are published and reach the clients.
    await until(() => (publisher as Publisher).acked > ackedBefore + 200, 'publishing to resume after the restart')
    await sleep(1000)
    await publisher.stop()
    const logs = await streams(c.redis.port, names)
    await untilCaughtUp(clients, lastIds(logs))

    const total = tallyAll(clients, logs)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    figure(`Redis killed (SIGKILL) and restarted with AOF appendfsync always, under ~100 events/s: ${clients.length} clients, ` +
      `${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0; ${publisher.failures} posts refused during the outage`)
  })

  it('gives every client exactly one reset and no silent gap when Redis restarts empty under a running feed', async () => {
    const c = (cluster = await startTestCluster({ persistence: 'none' }))
    clients = startClients(c.lb.url, LOST_ROOMS, 5)
    await until(() => clients.every(connected), 'every client connected')
    // Published through two replicas, so every replica's reader carries a live feed.
    let turn = 0
    publisher = new Publisher(() => c.replicas[turn++ % 2].url, LOST_ROOMS, 100)
    await until(() => clients.every((client) => client.got.length >= 5), 'every client receiving events')

    // Freeze writes (publishes wait; reads go on), read the old history whole, then kill:
    // the old stream read here is exactly what Redis held when it died.
    await c.redisCommand('CLIENT', 'PAUSE', '20000', 'WRITE')
    const before = await streams(c.redis.port, LOST_ROOMS)
    const ackedBefore = publisher.acked
    await c.restartRedis({ persistence: 'none' })
    await until(() => (publisher as Publisher).acked > ackedBefore + 300, 'publishing to resume on the empty Redis')
    await until(() => clients.every((client) => client.resets.length > 0 && connected(client)), 'every client reset and back')
    await sleep(1000)
    await publisher.stop()
    const after = await streams(c.redis.port, LOST_ROOMS)
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

  it('recovers 1,000 clients that all reconnect at once with since, with no spurious reset', async () => {
    const names = rooms('storm', 100)
    const c = (cluster = await startTestCluster())
    clients = startClients(c.lb.url, names, 10, { maxRetryDelay: 2000 })
    await until(() => clients.every(connected), 'all 1,000 clients connected', 120000)
    publisher = new Publisher(() => c.replicas[2].url, names, 100, 1)
    await until(() => clients.every((client) => client.got.length >= 1), 'every client receiving events', 120000)
    const droppedAt = Date.now()
    // Every replica closes every socket at once (1012): 1,000 reconnects with ?since=.
    const dropped = await Promise.all(
      c.replicas.map(async (replica) => {
        const response = await fetch(replica.url + '/admin/drop-connections', { method: 'POST', headers: adminHeaders() })
        return ((await response.json()) as { dropped: number }).dropped
      }),
    )
    await until(() => clients.every((client) => stateAfter(client, 'connected', droppedAt) !== null && connected(client)), 'all 1,000 clients back', 120000)
    await sleep(1000)
    await publisher.stop()
    const logs = await streams(c.redis.port, names)
    await untilCaughtUp(clients, lastIds(logs))

    const total = tallyAll(clients, logs)
    const back = clients.map((client) => (stateAfter(client, 'connected', droppedAt) as number) - droppedAt)
    // Every client was closed (a client that reconnected to a replica not yet told to drop may be closed twice).
    expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(clients.length)
    expect(clients.filter((client) => client.states.some((s) => s.at >= droppedAt && s.state !== 'connected'))).toHaveLength(clients.length)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    figure(`reconnect storm: ${clients.length} clients (100 rooms of 10) closed at once with 1012, all back with since ` +
      `(p50 ${percentile(back, 50)} ms, p99 ${percentile(back, 99)} ms); ${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
  })

  it('resets the clients of a killed master\'s rooms exactly once, and no one else, when its replica takes over', async () => {
    const c = (cluster = await startTestCluster({ redisCluster: 3 }))
    const rc = c.redisCluster as NonNullable<Cluster['redisCluster']>
    const owner = new Map<string, number>()
    for (const room of SHARD_ROOMS) owner.set(room, (await rc.masterOf('wsb:{' + room + '}:meta')).port)
    const doomed = await rc.masterOf('wsb:{' + SHARD_ROOMS[0] + '}:meta')
    const hit = SHARD_ROOMS.filter((room) => owner.get(room) === doomed.port)
    clients = startClients(c.lb.url, SHARD_ROOMS, 5)
    await until(() => clients.every(connected), 'every client connected')
    publisher = new Publisher(() => c.replicas[2].url, SHARD_ROOMS, 100)
    await until(() => clients.every((client) => client.got.length >= 30), 'every client well into the feed')

    // Writes paused on that master (its publishes wait), its rooms' streams read whole, then the kill:
    // what is read here is exactly what the master held when it died.
    await redisCli(doomed.port, 'CLIENT', 'PAUSE', '20000', 'WRITE')
    const before = await streams(doomed.port, hit)
    const ackedBefore = publisher.acked
    const killedAt = Date.now()
    await rc.failOver(doomed)
    const tookOver = Date.now() - killedAt
    const onHit = clients.filter((client) => hit.includes(client.room))
    await until(() => onHit.every((client) => client.resets.length > 0 && connected(client)), 'every client of the failed shard reset and back')
    await until(() => (publisher as Publisher).acked > ackedBefore + 300, 'publishing to go on')
    await sleep(1000)
    await publisher.stop()
    const alive = rc.nodes.find((node) => !node.killed) as (typeof rc.nodes)[number] // redis-cli -c follows each slot from there
    const after = await streams(alive.port, SHARD_ROOMS)
    await untilCaughtUp(clients, lastIds(after))

    const spared = clients.filter((client) => !hit.includes(client.room))
    const hitTotal = tallyAll(onHit, after, before)
    const sparedTotal = tallyAll(spared, after)
    expect(onHit.map((client) => client.resets.length).every((n) => n === 1)).toBe(true)
    expect([...new Set(onHit.map((client) => client.resets[0].reason))]).toEqual(['epoch'])
    expect(hitTotal).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: onHit.length })
    expect(sparedTotal).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    const old = [...before.values()].reduce((n, ids) => n + ids.length, 0)
    figure(`Redis Cluster (3 masters + 3 replicas), the master of ${hit.length} of ${SHARD_ROOMS.length} rooms SIGKILLed under ~100 events/s, ` +
      `its replica took over in ${tookOver} ms: its ${onHit.length} clients exactly 1 reset each (epoch), ${old} events of the old ` +
      `history and ${hitTotal.expected} deliveries checked, lost 0, duplicated 0, in order; the other ${spared.length} clients ` +
      `${sparedTotal.expected} deliveries, lost 0, duplicated 0, in order, no reset; ${publisher.failures} posts refused meanwhile`)
  })
})
