// A benchmark that cannot run here fails the run and says why: `npm run bench`
// used to report the Streamlit row as "not run" and exit 0, so a smoke run that
// measured nothing there looked like a pass. Runs the real bench/run.mjs with
// a Chromium path that does not exist (it sets up .venv and the build first,
// both already in place under npm test).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const scratch = mkdtempSync(join(tmpdir(), 'wsb-bench-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('npm run bench', () => {
  it('fails, naming what is missing, when the Streamlit benchmark cannot run', () => {
    const missing = join(scratch, 'no-such-chromium')
    const result = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--only', 'streamlit', '--out', join(scratch, 'results.json')], {
      cwd: ROOT,
      env: { ...process.env, CHROMIUM_PATH: missing },
      encoding: 'utf8',
      timeout: 600000,
    })
    console.log('[bench] exit ' + result.status + '; table:\n' + result.stdout)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('streamlit broke')
    expect(result.stdout).toMatch(/\| ERROR +\|/)
    expect(result.stdout).toContain('no Chromium at ' + missing)
  }, 600000)
})
