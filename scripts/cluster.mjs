// A local cluster: Redis, N replicas of the example server on the Redis store, and
// HAProxy in front (its config generated from deploy/haproxy.cfg). `npm run demo --
// --replicas N` and the cluster tests (test/cluster) both start it from here.
//
//   const cluster = await startCluster({ replicas: 3 })   // prints REDIS / REPLICA / LB lines
//   cluster.lb.url                                         // http://127.0.0.1:<port>
//   await cluster.stop()                                   // everything it started, and its temp dir
//
// Every process runs in its own process group (harness/servers.mjs), so a stop reaches what it spawned.
// Redis asks for a password made for this run (redisPassword()); the replicas get it in REDIS_URL,
// their operator routes this run's ADMIN_TOKEN, and HAProxy, their proxy, in TRUSTED_PROXIES.
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminToken } from './harness/access.mjs'
import { exampleApp, launch, running, startServer } from './harness/servers.mjs'
import { startRedisCluster } from './redis-cluster.mjs'
import { ROOT, VENV_PYTHON } from './setup-python.mjs'

const HOST = '127.0.0.1'
export const HAPROXY_TEMPLATE = join(ROOT, 'deploy', 'haproxy.cfg')
export const REDIS_CONF = join(ROOT, 'deploy', 'redis.conf')
// Longer than HAProxy's time to mark a replica down (fall 2 x inter 500 ms, plus a
// check timeout), so a SIGTERMed replica stops getting new sockets before it closes its own.
export const DRAIN_GRACE_S = '3'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** `count` different free ports: every probe stays open until all are picked, so none comes back twice. */
export async function freePorts(count) {
  const probes = Array.from({ length: count }, () => createServer())
  for (const probe of probes) {
    probe.listen(0, HOST)
    await once(probe, 'listening')
  }
  const ports = probes.map((probe) => probe.address().port)
  await Promise.all(probes.map((probe) => (probe.close(), once(probe, 'close'))))
  return ports
}

export async function freePort() {
  return (await freePorts(1))[0]
}

/** Waits for `check()` to return something truthy; fails with `what` (and the output of `launched`, the process). */
async function until(check, what, launched, limitMs = 60000) {
  const deadline = Date.now() + limitMs
  for (;;) {
    if (launched && !running(launched.proc)) throw new Error(what + ': ' + launched.name + ' exited:\n' + launched.output())
    try {
      const value = await check()
      if (value) return value
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what + (launched ? ':\n' + launched.output() : ''))
    await sleep(100)
  }
}

let runRedisPassword

/** The password of every Redis this process starts: random, made on first use, written only to its own config file. */
export function redisPassword() {
  runRedisPassword ??= randomBytes(24).toString('hex')
  return runRedisPassword
}

/** `redis-cli -p port args…` → stdout (raw: one line per reply element); the password goes in its environment, not its argv. */
export function redisCli(port, ...args) {
  const env = { ...process.env, REDISCLI_AUTH: redisPassword() }
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', HOST, '-p', String(port), ...args], { env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error('redis-cli ' + args.join(' ') + ': ' + (stderr || err.message))) : resolve(stdout),
    )
  })
}

/**
 * Redis's config file for this run in `dir` (readable by this user only): deploy/redis.conf as a user
 * would run it, with this run's password in place of the placeholder there.
 */
function redisConfig(dir, extraConfig = []) {
  const file = join(dir, 'redis.conf')
  const lines = [...(existsSync(REDIS_CONF) ? ['include ' + JSON.stringify(REDIS_CONF)] : []), 'requirepass ' + redisPassword(), ...extraConfig, '']
  writeFileSync(file, lines.join('\n'), { mode: 0o600 })
  return file
}

/**
 * Persistence: 'shipped' runs deploy/redis.conf as a user would (AOF, fsync on every
 * write, when that file is not there yet); 'none' turns persistence off entirely.
 * The port, address, directory, logging and password are always the cluster's own.
 */
function redisArgs(port, dir, persistence, extraConfig) {
  const args = [redisConfig(dir, extraConfig)]
  if (!existsSync(REDIS_CONF) || persistence === 'none') {
    args.push(...(persistence === 'none' ? ['--appendonly', 'no', '--save', ''] : ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']))
  }
  args.push('--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no', '--pidfile', '', '--logfile', '', '--protected-mode', 'yes')
  return args
}

/**
 * Starts redis-server on `port` with its data in `dir`; resolves once it answers PING.
 * `url` names it for people (no password); `authUrl` is what the replicas connect with.
 */
export async function startRedis({ port, dir, persistence = 'shipped', extraConfig = [] }) {
  const launched = launch(['redis-server', ...redisArgs(port, dir, persistence, extraConfig)], { name: 'redis' })
  // Loading a big AOF answers LOADING to PING: wait for PONG.
  await until(async () => (await redisCli(port, 'PING')).trim() === 'PONG', 'Redis to answer PING on ' + port, launched)
  const authUrl = 'redis://:' + encodeURIComponent(redisPassword()) + '@' + HOST + ':' + port + '/0'
  return { ...launched, port, url: 'redis://' + HOST + ':' + port, authUrl }
}

/**
 * One replica of the example server on the Redis store; resolves at its READY line. Its test publish
 * endpoint and operator routes are on (HAProxy refuses both at the edge: callers use the replica's own
 * URL), and it believes X-Forwarded-For from HAProxy on 127.0.0.1. `env` is added last (ALLOWED_ORIGINS …).
 * `track` gets the process at once, so the cluster's stop reaches it even while it starts.
 */
export function startReplica({ python = VENV_PYTHON, redisUrl, env = {}, track = () => {} }) {
  const own = { DRAIN_GRACE_S, ADMIN_TOKEN: adminToken(), TRUSTED_PROXIES: HOST }
  // REDIS_URL, not --redis: the password stays out of the process list.
  return startServer(exampleApp({ python, publishEndpoint: true }), { name: 'a replica', env: { ...own, REDIS_URL: redisUrl, ...env }, onSpawn: track })
}

/** The hard limit on open files here (HAProxy needs about 2 per connection of its maxconn). */
function fileLimit() {
  const result = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' })
  const limit = Number(result.stdout.trim())
  return Number.isFinite(limit) && limit > 0 ? limit : Infinity
}

/**
 * deploy/haproxy.cfg with our ports: its bind lines, one server line per replica, and
 * its maxconn lowered if this machine's open-file limit cannot hold it (HAProxy refuses to start).
 */
export function haproxyConfig(template, lbPort, statsPort, replicas, files = fileLimit()) {
  const lines = readFileSync(template, 'utf8').split('\n')
  const out = []
  for (const line of lines) {
    const maxconn = /^(\s*maxconn\s+)(\d+)/.exec(line)
    if (maxconn && Number(maxconn[2]) * 2 + 100 > files) {
      out.push(maxconn[1] + Math.floor((files - 100) / 2))
      continue
    }
    if (/^\s*server\s+replica\d+\s/.test(line)) continue
    if (/^\s*bind\s/.test(line)) {
      out.push(line.replace(/127\.0\.0\.1:\d+/, HOST + ':' + (/8404/.test(line) ? statsPort : lbPort)))
      continue
    }
    out.push(line)
    if (/^\s*default-server\s/.test(line)) {
      const indent = /^\s*/.exec(line)[0]
      replicas.forEach((replica, i) => out.push(indent + 'server replica' + (i + 1) + ' ' + HOST + ':' + replica.port + ' check'))
    }
  }
  return out.join('\n')
}

/** HAProxy's view of each replica, from its stats CSV: { replica1: 'UP', replica2: 'DOWN', … }. */
export async function backendStates(statsUrl) {
  const csv = await (await fetch(statsUrl + ';csv')).text()
  const states = {}
  for (const row of csv.split('\n')) {
    const cells = row.split(',')
    if (cells[0] === 'replicas' && /^replica\d+$/.test(cells[1])) states[cells[1]] = cells[17]
  }
  return states
}

/** Starts HAProxy in front of `replicas`; resolves once it sees every one of them UP. */
export async function startHaproxy({ dir, replicas, lbPort, statsPort }) {
  // Two ports picked together: one after the other, the same port could come back for both,
  // and the balancer's front (which refuses /stats) would then answer some of the checks below.
  const [freeLb, freeStats] = await freePorts(2)
  lbPort = lbPort || freeLb
  statsPort = statsPort || freeStats
  const config = join(dir, 'haproxy.cfg')
  writeFileSync(config, haproxyConfig(HAPROXY_TEMPLATE, lbPort, statsPort, replicas))
  // -db: stay in the foreground (the launcher owns the process and its stop).
  const launched = launch(['haproxy', '-db', '-f', config], { name: 'haproxy' })
  const statsUrl = 'http://' + HOST + ':' + statsPort + '/stats'
  try {
    await until(async () => {
      const states = Object.values(await backendStates(statsUrl))
      return states.length === replicas.length && states.every((s) => s === 'UP')
    }, 'HAProxy to see every replica UP', launched)
  } catch (err) {
    await launched.stop() // not in the cluster yet: its stop() would not reach this process
    throw err
  }
  return { ...launched, port: lbPort, url: 'http://' + HOST + ':' + lbPort, statsUrl, config }
}

/**
 * A Redis Cluster of `masters` masters with a replica each (scripts/redis-cluster.mjs, no
 * persistence), its nodes' data under `dir` (a temporary directory of its own when not given,
 * removed by its stop).
 */
export async function startRedisClusterIn(dir, masters) {
  const own = !dir
  dir ||= mkdtempSync(join(tmpdir(), 'wsb-redis-cluster-'))
  const rc = await startRedisCluster({
    dir, masters, cli: redisCli, ports: await freePorts(masters * 4),
    // The nodes replicate with the password they ask for.
    startNode: (node) => startRedis({ ...node, persistence: 'none', extraConfig: [...node.extraConfig, 'masterauth ' + redisPassword()] }),
  }).catch((err) => {
    if (own) rmSync(dir, { recursive: true, force: true })
    throw err
  })
  if (!own) return rc
  const stopNodes = rc.stop
  return Object.assign(rc, { stop: async () => (await stopNodes(), rmSync(dir, { recursive: true, force: true })) })
}

/**
 * Starts Redis, `replicas` replicas and HAProxy; calls `print` with one line per process
 * (`REDIS <pid> redis://…`, `REPLICA <pid> http://…`, `LB http://…`). On any failure it
 * stops what it started and rethrows. `redisCluster: N` starts a Redis Cluster of N masters
 * with a replica each instead of one Redis (startRedisClusterIn): one REDIS line per node,
 * `cluster.redis` is its first node, `cluster.redisCluster` the cluster. `redisCluster` may
 * also be one already running (startRedisClusterIn): the replicas use it, and the cluster's
 * stop leaves it running, so a test file's cases share one instead of each starting six nodes.
 */
export async function startCluster({ replicas = 3, persistence = 'shipped', env = {}, python = VENV_PYTHON, print = console.log, redisCluster = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-cluster-'))
  const shared = typeof redisCluster === 'object' && redisCluster !== null
  const cluster = {
    dir,
    redis: null,
    replicas: [],
    lb: null,
    /** Every replica ever started (the list above holds the ones in HAProxy's config). */
    started: [],
    redisCluster: null,
    async stop() {
      const redis = shared ? [] : cluster.redisCluster?.nodes || [cluster.redis]
      const procs = [cluster.lb, ...cluster.started, ...redis].filter(Boolean)
      await Promise.allSettled(procs.map((proc) => proc.stop()))
      rmSync(dir, { recursive: true, force: true })
    },
    /** Kills Redis (SIGKILL: no chance to write anything more) and starts it again on the same port and directory. */
    async restartRedis(options = {}) {
      const old = cluster.redis
      const exited = once(old.proc, 'exit')
      process.kill(-old.pid, 'SIGKILL')
      await exited
      cluster.redis = await startRedis({ port: old.port, dir, persistence: options.persistence || persistence })
      print('REDIS ' + cluster.redis.pid + ' ' + cluster.redis.url)
      return cluster.redis
    },
    states: () => backendStates(cluster.lb.statsUrl),
  }
  try {
    let redisUrl
    if (shared || redisCluster > 0) {
      cluster.redisCluster = shared ? redisCluster : await startRedisClusterIn(dir, redisCluster)
      cluster.redis = cluster.redisCluster.nodes[0]
      for (const node of cluster.redisCluster.nodes) print('REDIS ' + node.pid + ' ' + node.url)
      redisUrl = cluster.redisCluster.authUrl
      env = { ...env, REDIS_CLUSTER: '1' }
    } else {
      cluster.redis = await startRedis({ port: await freePort(), dir, persistence })
      print('REDIS ' + cluster.redis.pid + ' ' + cluster.redis.url)
      redisUrl = cluster.redis.authUrl
    }
    const track = (proc) => cluster.started.push(proc)
    const started = await Promise.all(Array.from({ length: replicas }, () => startReplica({ python, redisUrl, env, track })))
    for (const replica of started) {
      cluster.replicas.push(replica)
      print('REPLICA ' + replica.pid + ' ' + replica.url)
    }
    cluster.lb = await startHaproxy({ dir, replicas: cluster.replicas })
    print('LB ' + cluster.lb.url)
    return cluster
  } catch (err) {
    await cluster.stop()
    throw err
  }
}
