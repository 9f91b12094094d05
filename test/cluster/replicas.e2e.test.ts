// Replica faults in a real cluster (scripts/cluster.mjs): Redis, 3 replicas of the
// example server on the Redis store, HAProxy from deploy/haproxy.cfg in front; every case
// runs on one Redis and again on a Redis Cluster of 3 masters (STORES), its rooms spread
// over all 3, so each replica follows rooms on several shards while it is harmed. The
// clients are Node bridges from dist/index.mjs, connected through the balancer; a
// publisher posts to one replica that no case harms. Each case checks every client
// against Redis's own stream (XRANGE): every event once, in order, no reset; and
// prints its figure ("[cluster] (<store>) …"). Times are printed, never asserted.
// Sized for 2 cores: 300 clients at ~200 events/s run a case in about 15 s.
import { afterEach, describe, expect, it } from 'vitest'
import { type Client, closeAll, connected, startClients, stateAfter } from './clients'
import { type Cluster, STORES, clusterTools, lastIds, storeKit, untilCaughtUp, until, victimSockets } from './cluster-kit'
import { percentile, streams, tallyAll } from './ledger'
import { Publisher } from './publisher'

const ROOMS = Array.from({ length: 10 }, (_, i) => 'room' + i)
const PER_ROOM = 30
const RATE = 200
const TIMEOUT = 180000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const enabled = clusterTools('the replica fault cases')

for (const store of STORES) describe.skipIf(!enabled)('replica faults behind HAProxy on ' + store.name, { timeout: TIMEOUT }, () => {
  const kit = storeKit(store)
  const figure = kit.figure
  let cluster: Cluster | null = null
  let clients: Client[] = []
  let publisher: Publisher | null = null

  afterEach(async () => {
    await publisher?.stop()
    publisher = null
    closeAll(clients)
    clients = []
    // A stopped replica gets SIGCONT before SIGTERM (cluster.mjs), so nothing is left hung.
    await cluster?.stop()
    cluster = null
  })

  /** Clients connected through the balancer, events flowing from the last replica, everyone receiving. */
  async function flowing(options = {}) {
    cluster = await kit.start()
    // Every master serves some of the rooms (room0…room9's slots), so the case crosses shards.
    expect(await kit.masters(cluster, ROOMS)).toBe(store.masters)
    clients = startClients(cluster.lb.url, ROOMS, PER_ROOM, options)
    await until(() => clients.every(connected), 'every client connected')
    const publishTo = cluster.replicas[2].url
    publisher = new Publisher(() => publishTo, ROOMS, RATE)
    await until(() => clients.every((c) => c.got.length >= 3), 'every client receiving events')
    return cluster
  }

  /** Stops the publisher, then waits until every client has its room's last event; returns the streams. */
  async function settle(c: Cluster) {
    await (publisher as Publisher).stop()
    const logs = await streams(c.redis.port, ROOMS)
    await untilCaughtUp(clients, lastIds(logs))
    return logs
  }

  it('loses and repeats nothing when one of 3 replicas is killed with SIGKILL mid-stream', async () => {
    const c = await flowing()
    const victim = c.replicas[0]
    const onVictim = await victimSockets(victim)
    const killedAt = Date.now()
    process.kill(victim.pid as number, 'SIGKILL')
    // Its clients: the ones whose socket dropped after the kill; each is back, through another replica.
    const moved = () => clients.filter((client) => stateAfter(client, 'reconnecting', killedAt) !== null || stateAfter(client, 'connecting', killedAt) !== null)
    await until(() => moved().length === onVictim && clients.every(connected), 'the killed replica\'s ' + onVictim + ' clients back on the others')
    await sleep(2000) // events keep flowing to the moved clients for a while
    const logs = await settle(c)

    const total = tallyAll(clients, logs)
    const reconnects = moved().map((client) => {
      const down = client.states.find((s) => s.at >= killedAt && s.state !== 'connected') as { at: number }
      return (stateAfter(client, 'connected', down.at) as number) - down.at
    })
    expect(onVictim).toBeGreaterThan(0)
    expect(moved()).toHaveLength(onVictim)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    expect(total.expected).toBeGreaterThan(clients.length * 10)
    figure(`kill -9 one of 3 replicas: ${clients.length} clients over ${ROOMS.length} rooms on ${store.masters} master(s) at ~${RATE} events/s, ` +
      `${onVictim} on the killed replica moved; reconnect p50 ${percentile(reconnects, 50)} ms, p99 ${percentile(reconnects, 99)} ms; ` +
      `${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
  })

  it('drains a replica on SIGTERM: /health turns 503, HAProxy marks it down while it still runs, its clients move, nothing is lost', async () => {
    const c = await flowing()
    const victim = c.replicas[0]
    const onVictim = await victimSockets(victim)
    const termAt = Date.now()
    process.kill(victim.pid as number, 'SIGTERM')
    // During the grace (DRAIN_GRACE_S), the replica is alive and says so with a 503.
    const health = await until(async () => {
      const response = await fetch(victim.url + '/health')
      return response.status === 503 ? response.status : null
    }, 'the draining replica to answer 503')
    await until(async () => ((await c.states()).replica1 || '').startsWith('DOWN'), 'HAProxy to mark the draining replica down')
    // Still alive and still draining once the balancer has stopped routing to it.
    const downWhileAlive = (await fetch(victim.url + '/health').then((r) => r.status, () => 0)) === 503
    const moved = () => clients.filter((client) => client.states.some((s) => s.at >= termAt && s.state !== 'connected'))
    await until(() => moved().length === onVictim && clients.every(connected), 'the draining replica\'s ' + onVictim + ' clients on the others')
    await sleep(1000)
    const logs = await settle(c)

    const total = tallyAll(clients, logs)
    expect(health).toBe(503)
    expect(downWhileAlive).toBe(true)
    expect(onVictim).toBeGreaterThan(0)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    figure(`SIGTERM drain of one of 3 replicas: /health 503, HAProxy marked it DOWN while it still served, its ${onVictim} clients (of ${clients.length}) ` +
      `moved; ${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
  })

  it('moves the clients of a hung replica (SIGSTOP, sockets still open) to the others while it is still hung, losing nothing', async () => {
    // The heartbeat bound: a silent socket is given up within interval + timeout. HAProxy's
    // checks (timeout check 1 s, fall 2) mark the replica down and cut its sessions sooner.
    const heartbeat = { heartbeatInterval: 5000, heartbeatTimeout: 2000 }
    const c = await flowing(heartbeat)
    const victim = c.replicas[0]
    const onVictim = await victimSockets(victim)
    const stoppedAt = Date.now()
    process.kill(victim.pid as number, 'SIGSTOP')
    const moved = () => clients.filter((client) => client.states.some((s) => s.at >= stoppedAt && s.state !== 'connected'))
    // While it is still stopped: HAProxy's checks time out, it is marked down, its sessions are cut.
    await until(() => moved().length === onVictim && clients.every(connected), 'the hung replica\'s ' + onVictim + ' clients on the others')
    const states = await c.states()
    const movedWithin = moved().map((client) => (stateAfter(client, 'connected', stoppedAt + 1) as number) - stoppedAt)
    process.kill(victim.pid as number, 'SIGCONT')
    await sleep(1000)
    const logs = await settle(c)

    const total = tallyAll(clients, logs)
    expect(onVictim).toBeGreaterThan(0)
    expect(states.replica1).toMatch(/^DOWN/)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    const bound = heartbeat.heartbeatInterval + heartbeat.heartbeatTimeout
    figure(`kill -STOP one of 3 replicas: its ${onVictim} clients (of ${clients.length}) on the others before it resumed, ` +
      `after p50 ${percentile(movedWithin, 50)} ms / p99 ${percentile(movedWithin, 99)} ms (heartbeat bound ${bound} ms; HAProxy marked it ${states.replica1}); ` +
      `${total.expected} deliveries checked against XRANGE: lost 0, duplicated 0, in order, resets 0`)
  })

  it('heals the gap when a replica\'s Redis reader connection is killed (CLIENT KILL), losing nothing', async () => {
    const c = await flowing()
    const victim = c.replicas[0]
    const onVictim = await victimSockets(victim)
    // Five times in a row, each time the reader it opened instead, while events keep coming.
    const killed: string[] = []
    for (let round = 0; round < 5; round++) {
      const reader = await until(() => c.readerOf(victim, killed), 'replica 1\'s Redis reader connection')
      await c.redisCommand('CLIENT', 'KILL', 'ID', reader)
      killed.push(reader)
      await sleep(300)
    }
    await until(() => c.readerOf(victim, killed), 'a new reader after the last kill')
    await sleep(1000)
    const logs = await settle(c)

    const total = tallyAll(clients, logs)
    expect(onVictim).toBeGreaterThan(0)
    expect(total).toMatchObject({ lost: 0, duplicated: 0, inOrder: true, resets: 0 })
    figure(`CLIENT KILL of one replica's Redis reader, ${killed.length} times 300 ms apart, under ~${RATE} events/s: ` +
      `its ${onVictim} clients (of ${clients.length}) lost 0; ${total.expected} deliveries checked against XRANGE: duplicated 0, in order, resets 0`)
  })
})
