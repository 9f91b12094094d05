#!/usr/bin/env node
// The demo: from a fresh clone (after npm ci), one command brings up the game
// server and the Streamlit chat app, and prints the URL to open. Ctrl-C stops both.
//
//   npm run demo            # ports: 8000 / 8501 when free, else any free ones
//   DEMO_SERVER_PORT=9000 DEMO_APP_PORT=9501 npm run demo
//   npm run demo -- --replicas 3   # Redis + 3 replicas + HAProxy (scripts/cluster.mjs), the app on the balancer
//   npm run demo -- --replicas 3 --redis-cluster 3   # the same on a Redis Cluster of 3 masters with a replica each
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startCluster } from './cluster.mjs'
import { adminToken } from './harness/access.mjs'
import { exampleApp } from './harness/servers.mjs'
import { ROOT, VENV, setupPython } from './setup-python.mjs'

const HOST = '127.0.0.1'
const children = []
let cluster = null
let stopping = false

function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, HOST, () => probe.close(() => resolve(true)))
  })
}

async function pickPort(preferred) {
  if (await portFree(preferred)) return preferred
  const probe = createServer()
  await new Promise((resolve) => probe.listen(0, HOST, resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function start(name, command, args, env = {}) {
  // Own process group, so stop() reaches whatever it spawns.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  child.name = name
  children.push(child)
  const prefix = (line) => line && process.stderr.write('[' + name + '] ' + line + '\n')
  for (const stream of [child.stdout, child.stderr]) {
    let rest = ''
    stream.on('data', (chunk) => {
      const lines = (rest + chunk.toString()).split('\n')
      rest = lines.pop()
      lines.forEach(prefix)
    })
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error('[demo] ' + name + ' exited (' + (signal || code) + '); stopping')
      stop(1)
    }
  })
  return child
}

function stop(code = 0) {
  if (stopping) return
  stopping = true
  const clusterStopped = cluster ? cluster.stop() : Promise.resolve()
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // gone already
      }
    }
  }
  const force = setTimeout(() => {
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    process.exit(code)
  }, 5000)
  force.unref()
  const exits = children.map((child) => (child.exitCode !== null || child.signalCode !== null ? null : new Promise((resolve) => child.once('exit', resolve))))
  Promise.allSettled([clusterStopped, ...exits]).then(() => process.exit(code))
}

async function waitFor(url, what, limitMs = 60000) {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if (stopping) return
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(what + ' did not come up at ' + url)
}

/**
 * The pages that may use the game server: the Streamlit app (under either loopback name) and
 * examples/script-tag.html opened from disk, whose Origin is "null". Allowing "null" is for this
 * local demo only: a sandboxed frame of any site sends it too.
 */
const demoOrigins = (appPort) => ['http://127.0.0.1:' + appPort, 'http://localhost:' + appPort, 'null'].join(',')

async function main() {
  const { values } = parseArgs({ options: { replicas: { type: 'string' }, 'redis-cluster': { type: 'string' } } })
  const replicas = values.replicas === undefined ? 0 : Number(values.replicas)
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error('--replicas takes a whole number, got ' + values.replicas)
  const redisCluster = values['redis-cluster'] === undefined ? 0 : Number(values['redis-cluster'])
  if (!Number.isInteger(redisCluster) || redisCluster < 0 || (redisCluster > 0 && replicas === 0)) {
    throw new Error('--redis-cluster takes a whole number of masters, with --replicas; got ' + values['redis-cluster'])
  }
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))
  const python = setupPython()
  if (!existsSync(join(ROOT, 'python/streamlit_ws_bridge/frontend/build/index.html')) || !existsSync(join(ROOT, 'dist/ws-bridge.min.js'))) {
    console.log('$ npm run build')
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    if (built.status !== 0) throw new Error('npm run build failed')
  }
  const appPort = await pickPort(Number(process.env.DEMO_APP_PORT) || 8501)
  const appUrl = 'http://' + HOST + ':' + appPort
  const env = { ALLOWED_ORIGINS: demoOrigins(appPort) }
  let serverUrl
  let operatorUrl // where /stats and /admin/* answer: HAProxy refuses them, a replica does not
  if (replicas > 0) {
    // One line per process on stdout (REDIS / REPLICA / LB), for automation; the app talks to the balancer.
    cluster = await startCluster({ replicas, python, env, redisCluster })
    if (stopping) return
    watchCluster(cluster)
    serverUrl = cluster.lb.url
    operatorUrl = cluster.replicas[0].url
  } else {
    const serverPort = await pickPort(Number(process.env.DEMO_SERVER_PORT) || 8000)
    serverUrl = operatorUrl = 'http://' + HOST + ':' + serverPort
    // The test publish endpoint and the operator routes on, for trying things by hand (the printout says how).
    const [command, ...args] = exampleApp({ python, publishEndpoint: true })
    start('server', command, [...args, '--host', HOST, '--port', String(serverPort)], { ...env, ADMIN_TOKEN: adminToken() })
    await waitFor(serverUrl + '/health', 'the example server')
  }
  start('streamlit', join(VENV, 'bin', 'streamlit'), [
    'run', 'examples/streamlit_app.py',
    '--server.address', HOST,
    '--server.port', String(appPort),
    '--server.headless', 'true',
    '--browser.gatherUsageStats', 'false',
  ], { WS_BRIDGE_SERVER: serverUrl })
  await waitFor(appUrl + '/_stcore/health', 'Streamlit')
  if (stopping) return
  console.log('')
  console.log('  Game room chat (Streamlit):  ' + appUrl + '/?room=lobby&player=ann')
  console.log('  Second player, same room:    ' + appUrl + '/?room=lobby&player=bob')
  console.log('  Same room, plain page:       file://' + join(ROOT, 'examples/script-tag.html') + '?server=' + serverUrl + '&room=lobby&player=cat')
  console.log('  Counters (this run only):    curl -H "Authorization: Bearer ' + adminToken() + '" ' + operatorUrl + '/stats')
  console.log('')
  console.log(cluster ? '  Ctrl-C stops everything: Streamlit, HAProxy, the replicas and Redis.' : '  Ctrl-C stops both.')
}

/** A cluster process that dies on its own (not a fault you caused with kill -9 on a replica) stops the demo. */
function watchCluster(started) {
  for (const launched of [started.redis, started.lb]) {
    launched.proc.on('exit', (code, signal) => {
      if (!stopping) {
        console.error('[demo] ' + launched.name + ' exited (' + (signal || code) + '); stopping')
        stop(1)
      }
    })
  }
}

main().catch((err) => {
  console.error('[demo] ' + (err instanceof Error ? err.message : String(err)))
  stop(1)
  if (!children.length) process.exit(1)
})
