// A local Redis Cluster for scripts/cluster.mjs (`npm run demo -- --replicas 3 --redis-cluster 3`)
// and test/cluster: `masters` masters with a replica each, every node its own redis-server
// in its own directory on a free loopback port, slots assigned by `redis-cli --cluster create`.
//
//   const rc = await startRedisCluster({ dir, masters: 3, startNode, cli, ports })
//   rc.nodes          // every node (a launched redis-server with .port), masters first as created
//   rc.authUrl        // what the replicas connect with (REDIS_CLUSTER=1): any node will do
//   await rc.failOver(await rc.masterOf('wsb:{room}:meta'))   // SIGKILL a master, wait for its replica
//   await rc.stop()
//
// No persistence: a failover, not a restart, is what a cluster case exercises. The nodes
// ask for this run's password (redisPassword()) and use it between themselves (masterauth).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const NODE_TIMEOUT_MS = 1000 // a dead master's replica takes over within a few seconds
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check, what, limitMs = 60000) {
  const deadline = Date.now() + limitMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // a node not answering yet
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what)
    await sleep(100)
  }
}

/** Slot ranges ("0-5460", "5461") a CLUSTER NODES line's node serves. */
const servesSlot = (fields, slot) => fields.slice(8).some((range) => {
  if (range.startsWith('[')) return false // a slot on the move
  const [lo, hi] = range.split('-').map(Number)
  return slot >= lo && slot <= (hi ?? lo)
})

/**
 * `startNode({ port, dir, extraConfig })` starts one redis-server (cluster.mjs's startRedis) with
 * the given lines added to its config file and resolves to the launched node; `cli(port, ...args)`
 * is redis-cli with this run's password; `ports` holds masters * 4 free ports (each node's, and its bus port).
 */
export async function startRedisCluster({ dir, masters = 3, startNode, cli, ports }) {
  const redisCli = cli
  const rc = { nodes: [], authUrl: '', stop: () => Promise.allSettled(rc.nodes.map((node) => node.stop())) }
  /** The node says the cluster is ok, and a replica is in sync with its master. */
  const ready = async (node) => {
    if (!(await redisCli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false
    const replication = await redisCli(node.port, 'INFO', 'replication')
    return replication.includes('role:master') || replication.includes('master_link_status:up')
  }
  try {
    for (let k = 0; k < masters * 2; k++) {
      const nodeDir = join(dir, 'node' + k)
      mkdirSync(nodeDir)
      const extraConfig = ['cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout ' + NODE_TIMEOUT_MS,
        'cluster-port ' + ports[masters * 2 + k], 'cluster-replica-validity-factor 0']
      rc.nodes.push(await startNode({ port: ports[k], dir: nodeDir, extraConfig }))
    }
    await redisCli(ports[0], '--cluster', 'create', ...rc.nodes.map((n) => '127.0.0.1:' + n.port), '--cluster-replicas', '1', '--cluster-yes')
    await until(async () => (await Promise.all(rc.nodes.map(ready))).every(Boolean), 'the Redis Cluster to serve every slot')
    rc.authUrl = rc.nodes[0].authUrl
  } catch (err) {
    await rc.stop()
    throw err
  }
  const alive = () => rc.nodes.filter((node) => !node.killed)
  return Object.assign(rc, {
    /** The master serving `key`'s slot. */
    async masterOf(key) {
      const slot = Number((await redisCli(alive()[0].port, 'CLUSTER', 'KEYSLOT', key)).trim())
      for (const node of alive()) {
        const mine = (await redisCli(node.port, 'CLUSTER', 'NODES')).split('\n').map((l) => l.split(' ')).find((f) => f[2]?.includes('myself'))
        if (mine && mine[2].includes('master') && servesSlot(mine, slot)) return node
      }
      throw new Error('no master serves slot ' + slot)
    },
    /** SIGKILLs `master`; resolves once every node left says the cluster is ok (its replica took over). */
    async failOver(master) {
      master.killed = true
      process.kill(-master.pid, 'SIGKILL')
      await until(async () => (await Promise.all(alive().map(ready))).every(Boolean) &&
        !(await redisCli(alive()[0].port, 'CLUSTER', 'NODES')).split('\n').some((l) => l.includes(':' + master.port + '@') && !l.includes('fail')),
      'a replica to take over from the killed master')
    },
  })
}

