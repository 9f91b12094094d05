import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const FIXTURE = fileURLToPath(new URL('./fixtures/close-from-listeners.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../dist/index.mjs', import.meta.url))

/** Runs the fixture; resolves with its output once it exits by itself, or with `hung` after `limitMs`. */
function run(limitMs: number): Promise<{ lines: string[]; code: number | null; hung: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    // Not a timing assertion: a process that never exits has to be stopped somehow to report it.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog)
      resolve({ lines: out.trim().split('\n').filter(Boolean), code, hung: signal === 'SIGKILL', stderr })
    })
  })
}

describe('close() from inside a listener', () => {
  it('leaves no timer, socket or listener behind, whichever listener and moment: the Node process exits by itself', async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.mjs is missing: run `npm run build` first')
    const { lines, code, hung, stderr } = await run(15000)
    expect(hung, 'the process had to be killed; it printed:\n' + lines.join('\n') + stderr).toBe(false)
    expect(code, stderr).toBe(0)
    const parsed = lines.map((line) => JSON.parse(line) as { name?: string; state?: string; stillAlive?: string[] })
    expect(parsed.filter((entry) => entry.stillAlive)).toEqual([])
    const scenarios = parsed.filter((entry) => entry.name)
    expect(scenarios.map((s) => s.name).sort()).toEqual([
      'status-connected', 'status-error', 'status-retry-wait', 'status-connecting-again', 'status-disconnected',
      'status-polling', 'message-socket', 'message-poll-batch', 'error-bad-frame', 'error-heartbeat', 'reset',
    ].sort())
    for (const s of scenarios) expect(s.state, s.name).toBe('closed')
    console.log('[close] ' + scenarios.length + ' bridges closed from their own listeners (status, message, error, reset; socket and poll); the process exited by itself')
  })
})
