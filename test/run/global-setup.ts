// Every vitest run: a fresh WSB_TEST_RUN tag in the environment before any test
// file starts, inherited by every process a test spawns; at the end, a process
// still carrying it outlived the run. It is named (with the ports it listens
// on), killed, and the run fails.
import { TAG_VARIABLE, describeLeftovers, newTag, reapLeftovers } from '../../scripts/leftovers.mjs'

// The run's own processes: vitest's workers (forks) and helper binaries it started, gone or going at teardown.
const isVitestItself = ({ command }: { command: string }) => /node_modules\/(vitest|tinypool|esbuild|@esbuild|vite)\//.test(command)

export default function setup() {
  const tag = newTag('vitest')
  process.env[TAG_VARIABLE] = tag
  return async () => {
    const left = await reapLeftovers(tag, { exclude: isVitestItself })
    if (!left.length) return
    console.error(describeLeftovers(left, 'this vitest run'))
    // A teardown that throws is only logged by vitest, and the run still exits 0.
    process.exitCode = 1
  }
}
