// The cluster cases' shared parts: the store modes they run on, starting a cluster for one
// case, waiting on conditions, finding a replica's sockets and its Redis reader, printing a figure.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { redisCli, startCluster, startRedisClusterIn } from '../../scripts/cluster.mjs'
import { adminHeaders, testServerEnv } from '../../scripts/harness/access.mjs'
import { ROOT } from '../../scripts/setup-python.mjs'
import type { Client } from './clients'

export interface Proc {
  readonly pid: number | undefined
  readonly port: number
  readonly url: string
  output(): string
  stop(): Promise<void>
}

/** A Redis Cluster's nodes (scripts/redis-cluster.mjs), when the case asked for one. */
export interface RedisClusterNodes {
  readonly nodes: (Proc & { killed?: boolean })[]
  masterOf(key: string): Promise<Proc>
  failOver(master: Proc): Promise<void>
  stop(): Promise<unknown>
}

export interface Cluster {
  readonly dir: string
  readonly redis: Proc
  readonly redisCluster: RedisClusterNodes | null
  readonly replicas: Proc[]
  readonly lb: Proc & { statsUrl: string }
  stop(): Promise<void>
  restartRedis(options?: { persistence?: 'shipped' | 'none' }): Promise<Proc>
  states(): Promise<Record<string, string>>
  /**
   * The Redis client id of `replica`'s reader connection (one subscribed to the fan-out), not one of `skip`.
   * On a Redis Cluster: its reader on the first node, a master (a replica reads each node on its own connection).
   */
  readerOf(replica: Proc, skip?: string[]): Promise<string | null>
  redisCommand(...args: string[]): Promise<string>
}

const PYTHON = join(ROOT, '.venv', 'bin', 'python')
// Far more than any case publishes per room, in events and in bytes: Redis's stream then holds
// each room's whole history.
const ENV = { REPLAY_LOG_SIZE: '50000', RETENTION_BYTES: String(2 ** 30) }

/** What a replica's operator routes (/stats, /admin/*) need; the cases call them on the replica's own URL. */
export { adminHeaders }

const has = (binary: string) => {
  try {
    execFileSync('sh', ['-c', 'command -v ' + binary], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** True when redis-server, haproxy, the venv and dist/ are there; otherwise says what is missing (CI installs all). */
export function clusterTools(what: string): boolean {
  const missing = ['redis-server', 'redis-cli', 'haproxy'].filter((b) => !has(b))
  if (!existsSync(PYTHON)) missing.push('.venv (npm run setup:python)')
  if (!existsSync(join(ROOT, 'dist', 'index.mjs'))) missing.push('dist/index.mjs (npm run build)')
  if (missing.length && process.env.CI) throw new Error(what + ' need ' + missing.join(', ') + ' (.ci/run installs them)')
  if (missing.length) console.warn('[cluster] skipping ' + what + ': missing ' + missing.join(', '))
  return missing.length === 0
}

export const figure = (line: string) => console.log('[cluster] ' + line)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits for `check` to return something truthy; the limit only turns a hang into a readable failure. */
export async function until<T>(check: () => T | Promise<T>, what: string, limitMs = 60000): Promise<NonNullable<T>> {
  const deadline = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what + (last ? ' (last error: ' + String(last) + ')' : ''))
    await sleep(50)
  }
}

/** The local ports of `pid`'s TCP sockets, from /proc (its fds' socket inodes, matched in /proc/net/tcp). */
function localPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>()
  for (const fd of readdirSync('/proc/' + pid + '/fd')) {
    try {
      const target = readlinkSync('/proc/' + pid + '/fd/' + fd)
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      if (inode) inodes.add(inode)
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length > 9 && inodes.has(fields[9])) ports.add(parseInt(fields[1].split(':')[1], 16))
    }
  }
  return ports
}

/** `redisCluster`: a Redis Cluster of that many masters for this cluster alone, or one already running (shared). */
export async function startTestCluster(options: { persistence?: 'shipped' | 'none'; env?: Record<string, string>; redisCluster?: number | RedisClusterNodes } = {}): Promise<Cluster> {
  const env = { ...testServerEnv(), ...ENV, ...options.env }
  const cluster = (await startCluster({ replicas: 3, python: PYTHON, env, persistence: options.persistence, print: figure, redisCluster: options.redisCluster })) as Cluster
  const redisCommand = (...args: string[]) => redisCli(cluster.redis.port, ...args) as Promise<string>
  return Object.assign(cluster, {
    redisCommand,
    async readerOf(replica: Proc, skip: string[] = []) {
      const mine = localPortsOf(replica.pid as number)
      for (const line of (await redisCommand('CLIENT', 'LIST')).split('\n')) {
        const id = /\bid=(\d+)/.exec(line)?.[1]
        const port = Number(/\baddr=127\.0\.0\.1:(\d+)/.exec(line)?.[1])
        const subscribed = /\b(sub|psub|ssub)=[1-9]/.test(line)
        if (id && subscribed && !skip.includes(id) && mine.has(port)) return id
      }
      return null
    },
  })
}

/** How many sockets `replica` has open (its own /stats). */
export async function victimSockets(replica: Proc): Promise<number> {
  return ((await (await fetch(replica.url + '/stats', { headers: adminHeaders() })).json()) as { ws_connections_open: number }).ws_connections_open
}

export const lastIds = (logs: Map<string, string[]>) => new Map([...logs].map(([room, ids]) => [room, ids[ids.length - 1]]))

/** Waits until every client has been delivered its room's last event. */
export const untilCaughtUp = (clients: Client[], last: Map<string, string>) =>
  until(() => clients.every((client) => client.got.includes(last.get(client.room) as string)), 'every client to have its room\'s last event', 90000)

/** A store the fault cases run on: one Redis, or a Redis Cluster of `masters` masters with a replica each. */
export interface StoreMode {
  readonly name: string
  readonly masters: number
}

export const STORES: readonly StoreMode[] = [
  { name: 'one Redis', masters: 1 },
  { name: 'Redis Cluster, 3 masters', masters: 3 },
]

/**
 * Call inside a describe for `store`. On a Redis Cluster it starts one in beforeAll that the
 * describe's cases share: six nodes and `--cluster create` cost seconds, and these cases fault
 * the replicas, never Redis. One Redis is still started by each case, as before.
 */
export function storeKit(store: StoreMode) {
  let shared: RedisClusterNodes | undefined
  beforeAll(async () => {
    if (store.masters > 1) shared = (await startRedisClusterIn(null, store.masters)) as RedisClusterNodes
  })
  afterAll(async () => {
    await shared?.stop()
  })
  return {
    start: (options: { env?: Record<string, string> } = {}) => startTestCluster({ ...options, redisCluster: shared }),
    /** The figure, with the store mode in it. */
    figure: (line: string) => figure('(' + store.name + ') ' + line),
    /** How many masters serve `rooms` (1 on one Redis): a case on a cluster must cross shards. */
    async masters(cluster: Cluster, rooms: readonly string[]): Promise<number> {
      const rc = cluster.redisCluster
      if (!rc) return 1
      return new Set(await Promise.all(rooms.map(async (room) => (await rc.masterOf('wsb:{' + room + '}:meta')).port))).size
    },
  }
}
