// The pinned Streamlit versions (test/streamlit/versions.json) are the one source of what is
// tested; the package's declared range, the main .venv's pin and the recorded constraints must
// agree with it, or the range would promise a version no test ran.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

interface Pinned {
  version: string
  frames: string[]
}

const VERSIONS = JSON.parse(readFileSync('test/streamlit/versions.json', 'utf8')) as Pinned[]
const parts = (version: string) => version.split('.').map(Number)
const compare = (a: string, b: string) => {
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0)
  return 0
}
/** Components v2 (st.components.v2) first shipped in Streamlit 1.51.0; 1.50.0 has no components/v2. */
const FIRST_V2 = '1.51.0'

describe('the Streamlit version matrix', () => {
  it('lists each version once, oldest first, with the frames it has', () => {
    const versions = VERSIONS.map((pinned) => pinned.version)
    expect([...versions].sort(compare)).toEqual(versions)
    expect(new Set(versions).size).toBe(versions.length)
    for (const { version, frames } of VERSIONS) {
      expect(frames).toEqual(compare(version, FIRST_V2) >= 0 ? ['iframe', 'v2'] : ['iframe'])
    }
    expect(versions).toContain(FIRST_V2)
  })

  it('is what python/pyproject.toml declares: from the oldest pinned to below the next minor of the newest', () => {
    const declared = /dependencies = \["streamlit>=([\d.]+),<([\d.]+)"\]/.exec(readFileSync('python/pyproject.toml', 'utf8'))
    expect(declared).not.toBeNull()
    const [, floor, cap] = declared as RegExpExecArray
    const oldest = VERSIONS[0].version
    const newest = VERSIONS[VERSIONS.length - 1].version
    expect(compare(floor, oldest)).toBe(0)
    const [major, minor] = parts(newest)
    expect(cap).toBe(major + '.' + (minor + 1))
  })

  it("includes the main .venv's Streamlit, and records each version's exact dependencies", () => {
    const main = /^streamlit==([\d.]+)$/m.exec(readFileSync('python/requirements.txt', 'utf8'))
    expect(main).not.toBeNull()
    expect(VERSIONS.map((pinned) => pinned.version)).toContain((main as RegExpExecArray)[1])
    for (const { version } of VERSIONS) {
      const constraints = 'test/streamlit/constraints/' + version + '.txt'
      expect(existsSync(constraints)).toBe(true)
      expect(readFileSync(constraints, 'utf8')).toMatch(new RegExp('^streamlit==' + version.replace(/\./g, '\\.') + '$', 'm'))
    }
  })
})
