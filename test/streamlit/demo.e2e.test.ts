// `npm run demo`, the README's first command, as a new user runs it: scripts/demo.mjs
// brings up the game server and the Streamlit app with the settings they need (the
// server is closed to other origins by default, so the demo must allow the app's page
// and the plain page opened from disk). Both pages it prints join the same room in real
// Chromium; a line typed on the plain page reaches the Streamlit app; a page of another
// origin is refused; Ctrl-C (SIGINT) stops every process the demo started.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, checkChromium, executablePath } from '../browser/browser'
import { indicator } from './drive'
import { freePort } from './processes'

function haveStreamlit(): boolean {
  const ready = existsSync('.venv/bin/streamlit') && existsSync('python/streamlit_ws_bridge/frontend/build/v2.js')
  if (!ready && process.env.CI) throw new Error('the demo e2e needs .venv (npm run setup:python) and the built module (npm run build)')
  if (!ready) console.warn('[test/streamlit] demo skipped: no .venv or no built module')
  return ready
}

/** Resolves with the first capture of `pattern` in what the demo printed so far or prints next. */
function printed(output: { text: string; demo: ChildProcess }, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output.text)
      if (match) {
        output.demo.stdout?.off('data', check)
        output.demo.off('exit', gone)
        resolve(match[1])
      }
    }
    const gone = (code: number | null) => reject(new Error('the demo exited (' + code + ') before printing ' + pattern + ':\n' + output.text))
    output.demo.stdout?.on('data', check)
    output.demo.once('exit', gone)
    check()
  })
}

/** The HTTP status of a WebSocket handshake to `url` sent with `origin`. */
function handshake(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin })
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode || 0)
      ws.terminate()
    })
    ws.once('error', reject)
  })
}

const reachable = (url: string) => fetch(url).then(() => true, () => false)

describe.skipIf(!checkChromium('demo') || !haveStreamlit())('npm run demo (scripts/demo.mjs, real Streamlit, real Chromium)', () => {
  const output = { text: '', demo: null as unknown as ChildProcess }
  let browser: Browser
  let exited: Promise<[number | null, NodeJS.Signals | null]>

  beforeAll(async () => {
    const [serverPort, appPort] = [await freePort(), await freePort()]
    output.demo = spawn(process.execPath, ['scripts/demo.mjs'], {
      env: { ...process.env, DEMO_SERVER_PORT: String(serverPort), DEMO_APP_PORT: String(appPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    exited = once(output.demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    output.demo.stdout?.on('data', (chunk: Buffer) => (output.text += chunk.toString()))
    output.demo.stderr?.on('data', (chunk: Buffer) => (output.text += chunk.toString()))
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  }, 60000)

  afterAll(async () => {
    if (browser) await browser.close().catch(() => {})
    if (output.demo.exitCode === null && output.demo.signalCode === null) {
      output.demo.kill('SIGINT')
      await exited
    }
  }, 30000)

  it('serves both pages it prints in one room, refuses another origin, and Ctrl-C stops everything', async () => {
    const appPage = await printed(output, /Game room chat \(Streamlit\):\s+(\S+)/)
    const plainPage = await printed(output, /Same room, plain page:\s+(\S+)/)
    const server = new URL(plainPage).searchParams.get('server') as string
    const app = new URL(appPage).origin

    // The server is closed by default; the demo opened it to its own pages only.
    const socket = server.replace(/^http/, 'ws') + '/ws/lobby/mallory'
    const statuses = { app: await handshake(socket, app), evil: await handshake(socket, 'http://evil.example') }
    expect(statuses).toEqual({ app: 101, evil: 403 })

    const context = await browser.newContext()
    context.setDefaultTimeout(60000)
    const errors: string[] = []
    try {
      const streamlit = await context.newPage()
      streamlit.on('pageerror', (error) => errors.push('app: ' + error.message))
      await streamlit.goto(appPage)
      await expect.poll(() => indicator(streamlit, 'v2').textContent(), { timeout: 60000 }).toBe('🟢 Connected')

      const plain = await context.newPage() // file://: its Origin is "null", which the demo allows
      plain.on('pageerror', (error) => errors.push('plain page: ' + error.message))
      await plain.goto(plainPage)
      await expect.poll(() => plain.locator('#status').textContent(), { timeout: 60000 }).toBe('🟢 Connected')
      await plain.locator('#text').fill('hello from the plain page')
      await plain.locator('#text').press('Enter')
      await plain.getByText('cat: hello from the plain page').waitFor()
      await streamlit.getByText('cat: hello from the plain page').waitFor()
      expect(errors).toEqual([])
      console.log('[test/streamlit] demo: handshakes ' + JSON.stringify(statuses) + '; a line typed on the plain page (Origin null) reached the Streamlit app')
    } finally {
      await context.close()
    }

    output.demo.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(0)
    expect({ server: await reachable(server + '/health'), app: await reachable(app + '/_stcore/health') }).toEqual({ server: false, app: false })
  }, 180000)
})
