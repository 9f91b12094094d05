// Child process of bench/memory.mjs (run with --expose-gc): one bridge in Node
// mode (dist/index.mjs, ws, memory storage) walks a long stream from the
// FeedServer in steps ("chunk:<from>:<n>"). After each step, once everything is
// delivered and written, it collects garbage twice and records the JS heap and
// the stored size. Prints one JSON line: { samples: [...] }.
//   node --expose-gc bench/lib/memory-client.mjs <ws url> <total> <steps>
import { pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { DIST } from './common.mjs'

const [url, totalText, stepsText] = process.argv.slice(2)
const total = Number(totalText)
const steps = Number(stepsText)
const step = Math.ceil(total / steps)
const { connect, memoryStorage } = await import(pathToFileURL(DIST.esm).href)

const backing = memoryStorage()
let onWrite = null
const storage = {
  getItem: (key) => backing.getItem(key),
  removeItem: (key) => backing.removeItem(key),
  setItem(key, value) {
    backing.setItem(key, value)
    if (key === 'ws_messages_bench' && onWrite) onWrite()
  },
}
const storedChars = () => ['ws_messages_bench', 'ws_status_bench'].reduce((sum, key) => sum + (backing.getItem(key) || '').length, 0)

const bridge = connect({ url, room: 'bench', WebSocket, storage, debug: false, lifecycle: false })
let delivered = 0
let onDeliver = null
bridge.on('message', () => {
  delivered++
  if (onDeliver) onDeliver()
})
await new Promise((resolve, reject) => {
  const off = bridge.on('status', (status) => {
    if (status.state === 'connected') (off(), resolve())
    if (status.state === 'error') reject(new Error(status.lastError))
  })
})

/** Frames from..from+n-1, resolved once all are delivered and the log written after the last one. */
function chunk(from, n) {
  return new Promise((resolve) => {
    const target = delivered + n
    let all = false
    onDeliver = () => {
      if (delivered >= target) all = true
    }
    onWrite = () => {
      if (!all) return
      onDeliver = onWrite = null
      resolve()
    }
    bridge.send('chunk:' + from + ':' + n)
  })
}

const samples = []
const started = performance.now()
for (let from = 0; from < total; from += step) {
  await chunk(from, Math.min(step, total - from))
  global.gc()
  global.gc()
  const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage()
  samples.push({ messages: delivered, heapUsed, external, arrayBuffers, rss, storedChars: storedChars(), ms: performance.now() - started })
}
const status = bridge.getStatus()
bridge.close()
process.stdout.write(JSON.stringify({ samples, counters: status.counters, kept: bridge.getMessages().length }) + '\n')
