// The last line of every vitest run: how many test files were skipped whole and
// why, so a local `npm test` without Chromium (or Streamlit) cannot pass quietly.
// CI never skips: there a missing browser fails the suites instead.
import { relative } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'

export default class SkippedReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = modules.filter((module) => module.state() === 'skipped')
    const names = skipped.map((module) => relative(process.cwd(), module.moduleId))
    const line =
      '[vitest] ' + skipped.length + ' of ' + modules.length + ' test files skipped' +
      (skipped.length ? ' (their warnings above say what is missing): ' + names.join(', ') : '')
    console.log(skipped.length ? '\x1b[33m' + line + '\x1b[39m' : line)
  }
}
