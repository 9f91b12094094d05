// Finds the processes a test run left running: Chromium, `streamlit run`, the
// example servers, Redis, HAProxy, whatever a test started and did not stop.
//
// A run puts a fresh WSB_TEST_RUN=<tag> in its environment; every child inherits
// it (spawn, Playwright and subprocess pass the environment on by default), even a
// detached one that was reparented away from the run. Afterwards, any process
// still carrying the tag outlived its run.
//
//   node scripts/leftovers.mjs -- <command …>   runs the command with a fresh tag,
//   then fails (naming them) if any of its processes are still alive.
// The vitest runs do the same from test/run/global-setup.ts.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export const TAG_VARIABLE = 'WSB_TEST_RUN'

export const newTag = (what) => what + '-' + process.pid + '-' + randomBytes(4).toString('hex')

const readText = (path) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Local addresses listening in /proc/net/tcp{,6}, by socket inode. */
function listeningSockets() {
  const byInode = new Map()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readText(table) || '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || fields[3] !== '0A') continue
      const [hexAddress, hexPort] = fields[1].split(':')
      const address = hexAddress.length === 8 ? hexAddress.match(/../g).reverse().map((h) => parseInt(h, 16)).join('.') : '[' + hexAddress + ']'
      byInode.set(fields[9], address + ':' + parseInt(hexPort, 16))
    }
  }
  return byInode
}

function socketsOf(pid, listening) {
  const found = []
  let fds = []
  try {
    fds = readdirSync('/proc/' + pid + '/fd')
  } catch {
    return found
  }
  for (const fd of fds) {
    let target = ''
    try {
      target = readlinkSync('/proc/' + pid + '/fd/' + fd)
    } catch {
      continue
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)
    if (inode && listening.has(inode[1])) found.push(listening.get(inode[1]))
  }
  return found
}

/**
 * Live processes whose environment holds WSB_TEST_RUN=<tag>, except `exclude`
 * (the run's own processes), each as { pid, command, listening }.
 * Linux only (/proc); elsewhere it finds nothing and says so once.
 */
export function findLeftovers(tag, exclude = () => false) {
  let pids
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
  } catch {
    console.warn('[leftovers] no /proc here: leftover processes are not checked')
    return []
  }
  const marker = TAG_VARIABLE + '=' + tag
  const listening = listeningSockets()
  const found = []
  for (const pid of pids) {
    if (pid === process.pid) continue
    const environ = readText('/proc/' + pid + '/environ')
    if (!environ || !environ.split('\0').includes(marker)) continue
    const stat = readText('/proc/' + pid + '/stat') || ''
    // A zombie has exited; its parent just has not reaped it yet.
    if (/^\d+ \(.*\) Z /.test(stat)) continue
    const command = (readText('/proc/' + pid + '/cmdline') || '').split('\0').filter(Boolean).join(' ')
    const entry = { pid, command, listening: socketsOf(pid, listening) }
    if (!exclude(entry)) found.push(entry)
  }
  return found
}

/**
 * Waits up to `graceMs` for leftovers to exit on their own (a stop() just returned), then kills what is left and returns it.
 * @param {string} tag
 * @param {{ graceMs?: number, exclude?: (entry: { pid: number, command: string, listening: string[] }) => boolean }} [options]
 */
export async function reapLeftovers(tag, { graceMs = 3000, exclude } = {}) {
  const deadline = Date.now() + graceMs
  let left = findLeftovers(tag, exclude)
  while (left.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = findLeftovers(tag, exclude)
  }
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  return left
}

export function describeLeftovers(left, what) {
  const lines = left.map(({ pid, command, listening }) =>
    '  pid ' + pid + (listening.length ? ' listening on ' + listening.join(', ') : '') + ': ' + (command.length > 200 ? command.slice(0, 200) + '…' : command))
  return '[leftovers] ' + left.length + ' process' + (left.length === 1 ? '' : 'es') + ' outlived ' + what + ' (now killed):\n' + lines.join('\n')
}

async function main() {
  const separator = process.argv.indexOf('--')
  const command = separator >= 0 ? process.argv.slice(separator + 1) : []
  if (!command.length) {
    console.error('usage: node scripts/leftovers.mjs -- <command …>')
    process.exit(2)
  }
  const tag = newTag('cmd')
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, [TAG_VARIABLE]: tag } })
  const code = await new Promise((resolve) => {
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)))
    child.on('error', (err) => {
      console.error('[leftovers] could not run ' + command[0] + ': ' + err.message)
      resolve(1)
    })
  })
  const left = await reapLeftovers(tag)
  if (left.length) {
    console.error(describeLeftovers(left, command.join(' ')))
    process.exit(code || 1)
  }
  process.exit(code)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
