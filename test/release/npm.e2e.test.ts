// The npm tarball as a user installs it: `npm install <tarball> ws` into an
// empty folder outside the repository, then, from that folder, an ESM import
// and a CJS require each connect in Node to a real `ws` server and receive an
// event, and a TypeScript file using the package's types compiles with the
// repository's typescript (and one misusing them does not).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventServer } from '../helpers/ws-server'
import { ROOT, checkBuilt, packInto, runIn, scratchDir } from './artifacts'

const WS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ws', 'package.json'), 'utf8')) as { version: string }).version
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

// One client, written once per module system: connect, print each event, exit after the first.
const client = (load: string) => `${load}
const [url, room] = process.argv.slice(2)
const bridge = connect({ url, room, WebSocket, storage: memoryStorage(), lifecycle: false, debug: false })
bridge.on('status', (status) => console.log('STATE ' + status.state))
bridge.on('message', (message) => {
  console.log('GOT ' + JSON.stringify(message))
  bridge.close()
})
`
const ESM = client("import { connect, memoryStorage } from 'streamlit-ws-bridge'\nimport WebSocket from 'ws'")
const CJS = client("const { connect, memoryStorage } = require('streamlit-ws-bridge')\nconst WebSocket = require('ws')")

const TYPED = `import { connect, memoryStorage } from 'streamlit-ws-bridge'
import type { Bridge, ConnectOptions, Message, Status } from 'streamlit-ws-bridge'

const options: ConnectOptions = { url: 'ws://127.0.0.1:1/ws/r', room: 'r', storage: memoryStorage() }
const bridge: Bridge = connect(options)
bridge.on('status', (status: Status) => {
  const state: Status['state'] = status.state
  console.log(state)
})
bridge.on('message', (message: Message) => console.log(String(message.id)))
bridge.close()
`
// A wrong option type: compiling must fail, or the types are not being checked at all.
const MISTYPED = "import { connect } from 'streamlit-ws-bridge'\nconnect({ url: 42, room: 'r' })\n"

const TSCONFIG = {
  compilerOptions: { strict: true, noEmit: true, target: 'ES2020', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2020', 'DOM'], types: [] },
}

describe.skipIf(!checkBuilt('npm tarball'))('the npm tarball, installed into an empty folder', () => {
  let dir = ''
  let consumer = ''
  let server: EventServer
  const children: ChildProcess[] = []

  beforeAll(async () => {
    dir = scratchDir('wsb-release-npm-')
    const { tarball } = packInto(join(dir, 'out'))
    consumer = join(dir, 'consumer')
    mkdirSync(consumer)
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, type: 'module' }))
    const started = Date.now()
    runIn(consumer, 'npm', ['install', tarball, 'ws@' + WS_VERSION, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'])
    console.log('[release npm] npm install ' + tarball.split('/').pop() + ' ws@' + WS_VERSION + ': ' + ((Date.now() - started) / 1000).toFixed(1) + ' s')
    server = await new EventServer().start()
  }, 180000)

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    if (server) await server.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('installs the package from the tarball, not a link into the repository', () => {
    const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', 'streamlit-ws-bridge', 'package.json'), 'utf8')) as { version: string }
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(installed.version).toBe(root.version)
    const lock = readFileSync(join(consumer, 'package-lock.json'), 'utf8')
    expect(lock).toContain('file:../out/streamlit-ws-bridge-' + root.version + '.tgz')
    expect(lock).not.toContain(ROOT)
  })

  for (const [kind, file, source] of [['ESM import', 'esm.mjs', ESM], ['CJS require', 'cjs.cjs', CJS]] as const) {
    it(kind + ' connects in Node to a real ws server and receives the event it sends', async () => {
      writeFileSync(join(consumer, file), source)
      const room = file.split('.')[0]
      const path = '/ws/' + room
      const child = spawn(process.execPath, [file, server.url + path, room], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] })
      children.push(child)
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = once(child, 'exit')
      await server.until(() => server.open.some((c) => c.url.pathname === path) || child.exitCode !== null)
      expect(child.exitCode, output).toBe(null)
      const event = server.emit({ text: 'to the ' + kind })
      // close() in the client's listener ends its socket; the process then exits on its own.
      const [code] = await exited
      expect(code, output).toBe(0)
      expect(output).toContain('STATE connected')
      const got = output.split('\n').filter((line) => line.startsWith('GOT ')).map((line) => JSON.parse(line.slice(4)) as { id: string; text: string })
      expect(got.map((m) => [m.id, m.text])).toEqual([[event.id, event.text]])
    }, 30000)
  }

  it('a TypeScript file using its types (Status, a typed connect call) compiles with tsc, and a mistyped call does not', () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['typed.ts'] }))
    writeFileSync(join(consumer, 'typed.ts'), TYPED)
    runIn(consumer, process.execPath, [TSC, '--noEmit', '-p', 'tsconfig.json'])

    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['mistyped.ts'] }))
    writeFileSync(join(consumer, 'mistyped.ts'), MISTYPED)
    let output = ''
    expect(() => {
      try {
        runIn(consumer, process.execPath, [TSC, '--noEmit', '-p', 'tsconfig.json'])
      } catch (err) {
        output = (err as Error).message
        throw err
      }
    }).toThrow()
    expect(output).toMatch(/error TS2322: Type 'number' is not assignable to type/)
  }, 60000)
})
