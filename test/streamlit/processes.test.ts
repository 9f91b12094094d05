// The child-process helpers clean up after a failed start: a server that never
// says READY is stopped, not left running for the rest of the run.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startGameServer, until } from './processes'

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

describe('startGameServer', () => {
  it('stops a server that never printed READY before failing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-hang-'))
    const pidFile = join(dir, 'pid')
    // Stands in for python: writes its pid, then hangs without a word, like a server stuck at start.
    const hung = join(dir, 'hung-python')
    writeFileSync(hung, '#!/bin/sh\necho $$ > ' + JSON.stringify(pidFile) + '\nexec sleep 300\n')
    chmodSync(hung, 0o755)
    await expect(startGameServer(hung, 0, { readyWithinMs: 1000 })).rejects.toThrow('timed out waiting for the example server to print READY')
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(pid).toBeGreaterThan(0)
    await until(() => !isAlive(pid), 'the hung server to be gone', 10000)
    expect(isAlive(pid)).toBe(false)
  })

  it('fails at once, with what it printed, when the server exits instead of starting', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsb-exit-'))
    const failing = join(dir, 'failing-python')
    writeFileSync(failing, '#!/bin/sh\necho "no such module: fastapi" >&2\nexit 3\n')
    chmodSync(failing, 0o755)
    // Not "timed out waiting … (last error: … exited)" after readyWithinMs: an exited server is not waited for.
    await expect(startGameServer(failing, 0, { readyWithinMs: 5000 })).rejects.toThrow(/^the example server exited:\s+no such module: fastapi/)
  })
})
