import { existsSync, readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../src/bridge/options'

const root = new URL('../', import.meta.url)
const read = (path: string) => {
  const url = new URL(path, root)
  if (!existsSync(url)) throw new Error(path + ' is missing: run `npm run build` first')
  return readFileSync(url, 'utf8')
}
// Markers of streamlit-component-lib and the apache-arrow it pulls in.
const streamlitMarkers = ['setComponentValue', 'streamlit:componentReady', 'RecordBatch']

describe('bundles', () => {
  it('keeps Streamlit code out of the core and script-tag bundles', () => {
    for (const file of ['dist/ws-bridge.min.js', 'dist/index.mjs', 'dist/index.cjs']) {
      const code = read(file)
      for (const marker of streamlitMarkers) expect(code.includes(marker), file + ' contains ' + marker).toBe(false)
    }
  })

  it.each(['python/streamlit_ws_bridge/frontend/build/v2.js', 'widget/ws_bridge_widget/static/widget.js'])(
    'keeps streamlit-component-lib and apache-arrow out of %s, an ES module with a default export',
    (file) => {
      const code = read(file)
      for (const marker of streamlitMarkers) expect(code.includes(marker), file + ' contains ' + marker).toBe(false)
      expect(code).toMatch(/export\s*\{[^}]*\bas default\b[^}]*\}/)
      // The delivery core is inside: the ledger's storage key and the debug handle.
      expect(code).toContain('ws_component_')
      expect(code).toContain('_wsDebug')
      const size = gzipSync(code, { level: 9 }).length
      const frame = gzipSync(read('python/streamlit_ws_bridge/frontend/build/component.js'), { level: 9 }).length
      console.log(file + ': ' + size + ' bytes gzip; the iframe component.js: ' + frame + ' bytes gzip')
    },
  )

  it('finds those markers in the component bundle, so the check above can fail', () => {
    const code = read('python/streamlit_ws_bridge/frontend/build/component.js')
    for (const marker of streamlitMarkers) expect(code.includes(marker), marker).toBe(true)
  })

  it('puts reconnecting-websocket inside the script tag and leaves it a dependency of the npm build', () => {
    expect(read('dist/ws-bridge.min.js')).not.toMatch(/require\(|import\s/)
    expect(read('dist/index.cjs')).toContain("require('reconnecting-websocket')")
    expect(read('dist/index.mjs')).toMatch(/from 'reconnecting-websocket'/)
  })

  it('describes the npm entry with types first and true side effects', () => {
    const pkg = JSON.parse(read('package.json'))
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'import', 'require'])
    expect(pkg.sideEffects).toEqual(['./dist/ws-bridge.min.js'])
    for (const path of Object.values(pkg.exports['.']) as string[]) read(path)
    expect(read('dist/index.d.ts')).toMatch(/declare function connect\(input: ConnectOptions\): Bridge/)
  })

  it('does no work when the npm entry is imported', async () => {
    const before = Object.keys(globalThis).length
    const api = await import(new URL('dist/index.mjs', root).href)
    expect(Object.keys(globalThis).length).toBe(before)
    expect(typeof api.connect).toBe('function')
  })

  it('keeps the script tag within the size-limit budget in package.json, and reports its size', () => {
    const budget = JSON.parse(read('package.json'))['size-limit'].find((entry: { path: string }) => entry.path === 'dist/ws-bridge.min.js')
    const limit = /^([\d.]+) kB$/.exec(budget.limit)
    if (!limit || !budget.gzip) throw new Error('unexpected size-limit entry: ' + JSON.stringify(budget))
    const size = gzipSync(read('dist/ws-bridge.min.js'), { level: 9 }).length
    console.log('dist/ws-bridge.min.js: ' + size + ' bytes gzip, budget ' + budget.limit)
    expect(size).toBeLessThanOrEqual(Number(limit[1]) * 1000)
  })

  it('is a whole, working script tag: run in a page, it defines WsBridge with the defaults of the source', () => {
    // A page's globals as far as the script tag reads them at load: window, and document.currentScript.
    const page: { window?: unknown; document: { currentScript: null }; WsBridge?: { connect: unknown; DEFAULTS: Record<string, unknown>; bridge: unknown } } = { document: { currentScript: null } }
    page.window = page
    runInNewContext(read('dist/ws-bridge.min.js'), page)
    expect(typeof page.WsBridge?.connect).toBe('function')
    expect(page.WsBridge?.bridge).toBeNull()
    const plain = (defaults: Record<string, unknown>) => Object.fromEntries(Object.entries(defaults).filter(([, value]) => typeof value !== 'function'))
    expect(plain(page.WsBridge?.DEFAULTS as Record<string, unknown>)).toEqual(plain(DEFAULTS as unknown as Record<string, unknown>))
  })
})
