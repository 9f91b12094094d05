#!/usr/bin/env node
// The host distributions' own Python tests (dash_component/tests, gradio_component/tests), each in
// every pinned venv of its host (scripts/setup-hosts.mjs installs the package with its [test]
// extra there): they need the host, which the main .venv does not hold. One pytest run per venv,
// through scripts/leftovers.mjs like npm run test:python, so a run that leaves a process fails.
//
//   npm run test:python:hosts
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PACKAGE_TESTS, hostSets, projectOf } from './setup-hosts.mjs'
import { ROOT } from './setup-python.mjs'

const failed = []
for (const set of hostSets().filter((s) => PACKAGE_TESTS.has(s.host))) {
  const args = [join(ROOT, 'scripts', 'leftovers.mjs'), '--', join(set.bin, 'python'), '-m', 'pytest', projectOf(set.host) + '/tests', '-q', '-p', 'no:cacheprovider']
  console.log('[test-host-packages] ' + set.name + ': ' + projectOf(set.host) + '/tests')
  // Gradio would report each import to its analytics service otherwise; nothing here reaches beyond loopback.
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, GRADIO_ANALYTICS_ENABLED: 'False' } })
  if (run.status !== 0) failed.push(set.name)
}
if (failed.length) {
  console.error('[test-host-packages] failed in ' + failed.join(', '))
  process.exit(1)
}
