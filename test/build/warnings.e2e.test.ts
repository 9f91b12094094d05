// `npm run build` prints nothing that looks like a problem: the rollup config
// silences the known, harmless warnings of third-party code by code and by
// module, and lets every other warning through. Builds with rollup's API on the
// real config and generates every output in memory (nothing is written), so it
// runs beside other suites reading dist/. Heavy (the component bundle with
// apache-arrow and terser): named e2e so it runs alone, like the other builds.
import type { RollupLog, RollupOptions, OutputOptions, LoggingFunction } from 'rollup'
import { rollup } from 'rollup'
import { describe, expect, it } from 'vitest'

const loadConfigs = async () => (await import('../../rollup.config.mjs')).default as RollupOptions[]

type OnWarn = (warning: RollupLog, forward: LoggingFunction) => void

/** What the config's onwarn passes on, as `npm run build` would print it. */
function passedOn(config: RollupOptions, warning: RollupLog): RollupLog[] {
  const printed: RollupLog[] = []
  const onwarn = config.onwarn as OnWarn | undefined
  if (onwarn) onwarn(warning, (log) => printed.push(typeof log === 'function' ? log() : typeof log === 'string' ? { message: log } : log))
  else printed.push(warning)
  return printed
}

describe('the build', () => {
  it('builds every bundle of rollup.config.mjs without a single warning', async () => {
    const configs = await loadConfigs()
    const printed: string[] = []
    for (const config of configs) {
      const onwarn = (warning: RollupLog) => {
        for (const log of passedOn(config, warning)) printed.push((log.code || '') + ' ' + log.message)
      }
      const bundle = await rollup({ ...config, onwarn })
      const outputs = ([] as OutputOptions[]).concat(config.output || [])
      for (const output of outputs) await bundle.generate(output)
      await bundle.close()
    }
    console.log('[build] ' + configs.length + ' bundles built in memory, warnings printed: ' + printed.length)
    expect(printed).toEqual([])
  }, 180000)

  it('still prints a circular dependency or a rewritten `this` anywhere else', async () => {
    const configs = await loadConfigs()
    const cycle: RollupLog = { code: 'CIRCULAR_DEPENDENCY', message: 'Circular dependency', ids: ['/repo/src/a.ts', '/repo/src/b.ts', '/repo/src/a.ts'] }
    // A cycle that only passes through apache-arrow is still ours to see.
    const mixed: RollupLog = { code: 'CIRCULAR_DEPENDENCY', message: 'Circular dependency', ids: ['/repo/node_modules/apache-arrow/vector.mjs', '/repo/src/a.ts', '/repo/node_modules/apache-arrow/vector.mjs'] }
    const thisInOurs: RollupLog = { code: 'THIS_IS_UNDEFINED', message: '"this" has been rewritten to "undefined"', id: '/repo/src/streamlit/component.ts' }
    const other: RollupLog = { code: 'UNRESOLVED_IMPORT', message: 'could not resolve', id: '/repo/node_modules/apache-arrow/vector.mjs' }
    for (const config of configs) {
      for (const warning of [cycle, mixed, thisInOurs, other]) expect(passedOn(config, warning), warning.code + ' ' + JSON.stringify(warning.ids || warning.id)).toEqual([warning])
    }
  })
})
