// The delivery contract in Dash (test/hosts/suite.ts), oldest and newest pinned Dash 4.x:
// `python test/hosts/apps/dash_host_app.py` from the set's venv (dash_component/ installed).
// Each page load is a new page with no server session: once per browser tab, across reloads.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hostSets, setupHostSet } from '../../scripts/setup-hosts.mjs'
import { hostSuite } from './suite'

hostSuite('dash')

// The package's own Python tests need Dash, which the main .venv does not hold: they run here,
// in each pinned Dash venv, so both versions check them in npm test.
describe.each(hostSets().filter((set) => set.host === 'dash'))('dash_component/tests in $name', (set) => {
  it('pass', () => {
    setupHostSet(set)
    const run = spawnSync(join(set.bin, 'python'), ['-m', 'pytest', 'dash_component/tests', '-q', '-p', 'no:cacheprovider'], { encoding: 'utf8' })
    const summary = (run.stdout.trim().split('\n').pop() || '') + (run.status === 0 ? '' : '\n' + run.stdout + run.stderr)
    console.log('[hosts] dash_component/tests in ' + set.name + ': ' + summary.split('\n')[0])
    expect(run.status, summary).toBe(0)
    expect(summary).toMatch(/^\d+ passed/)
  }, 600000)
})
