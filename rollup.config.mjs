import commonjs from '@rollup/plugin-commonjs'
import resolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import replace from '@rollup/plugin-replace'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve as resolvePath } from 'node:path'
import { dts } from 'rollup-plugin-dts'
import typescriptCompiler from 'typescript'

const ts = () => typescript({ tsconfig: './tsconfig.json', declaration: false, noEmitOnError: true })

// Two warnings come from third-party code in the component bundle, are known
// and harmless, and would otherwise print on every build:
// - apache-arrow's modules import each other in cycles; the cross-references
//   are used when functions run, not while the modules evaluate, so the order
//   rollup picks works (it is how apache-arrow is published and used);
// - streamlit-component-lib's TypeScript helpers read a top-level `this`
//   (`var __assign = (this && this.__assign) || function …`), which is
//   undefined in an ES module, and the helper's own fallback is then used.
// Silenced by code and by module: any other warning, or these in other code, still prints.
const inPackage = (id, name) => typeof id === 'string' && id.replace(/\\/g, '/').includes('/node_modules/' + name + '/')
export const isKnownHarmless = (warning) =>
  (warning.code === 'CIRCULAR_DEPENDENCY' && Array.isArray(warning.ids) && warning.ids.length > 0 && warning.ids.every((id) => inPackage(id, 'apache-arrow'))) ||
  (warning.code === 'THIS_IS_UNDEFINED' && inPackage(warning.id, 'streamlit-component-lib'))
const onwarn = (warning, warn) => {
  if (!isKnownHarmless(warning)) warn(warning)
}

// reconnecting-websocket publishes its TypeScript source beside its ES5 dist.
// The script tag compiles that same source (same version, same code) for
// ES2020: classes, getters and async stay native instead of tslib helpers and
// Object.defineProperty, which is a third of the library's minified size.
const rwsSource = createRequire(import.meta.url).resolve('reconnecting-websocket/reconnecting-websocket.ts')

// Members of the ReconnectingWebSocket class that the bridge never reaches:
// transport.ts only constructs it, listens for 'error' and calls close(), and
// the instance never leaves that module (the bridge sends on, and shows, the
// real socket). Terser keeps class members whatever their use, so they go here,
// with the statements that only feed them: the log (this._debug(…) logs only
// with the debug option, never set) and the on* handlers, which nobody can set
// (if (this.onopen) …). The build fails if a member is missing (a new version
// of the library) or still used by the code that stays.
export const RWS_UNUSED = [
  'CONNECTING', 'OPEN', 'CLOSING', 'binaryType', 'retryCount', 'bufferedAmount', 'extensions', 'protocol',
  'readyState', 'url', 'reconnect', 'send', 'dispatchEvent', 'removeEventListener', '_debug', 'onclose', 'onerror', 'onmessage', 'onopen',
]
const withoutUnusedMembers = (context) => (sourceFile) => {
  const t = typescriptCompiler
  const named = (node, names) => !!node && t.isIdentifier(node) && names.includes(node.text)
  const onThis = (node, names) => t.isPropertyAccessExpression(node) && node.expression.kind === t.SyntaxKind.ThisKeyword && named(node.name, names)
  const isDead = (node) =>
    (t.isExpressionStatement(node) && t.isCallExpression(node.expression) && onThis(node.expression.expression, ['_debug'])) ||
    (t.isIfStatement(node) && onThis(node.expression, ['onclose', 'onerror', 'onmessage', 'onopen']))
  const found = new Set()
  const strip = (node) => {
    if (isDead(node)) return undefined
    if (!t.isClassDeclaration(node) || node.name?.text !== 'ReconnectingWebSocket') return t.visitEachChild(node, strip, context)
    const kept = node.members.filter((member) => !(named(member.name, RWS_UNUSED) && found.add(member.name.text)))
    return t.visitEachChild(t.factory.updateClassDeclaration(node, node.modifiers, node.name, node.typeParameters, node.heritageClauses, kept), strip, context)
  }
  const result = t.visitNode(sourceFile, strip)
  const missing = RWS_UNUSED.filter((name) => !found.has(name))
  if (missing.length) throw new Error('reconnecting-websocket has no member ' + missing.join(', ') + ': check RWS_UNUSED')
  const check = (node) => {
    if (t.isPropertyAccessExpression(node) && named(node.name, RWS_UNUSED) &&
      (node.expression.kind === t.SyntaxKind.ThisKeyword || named(node.expression, ['ReconnectingWebSocket']))) {
      throw new Error('reconnecting-websocket still uses ' + node.name.text + ': take it out of RWS_UNUSED')
    }
    node.forEachChild(check)
  }
  check(result)
  return result
}
const rwsFromSource = () => ({
  name: 'reconnecting-websocket-from-source',
  resolveId(id, importer) {
    if (id === 'reconnecting-websocket') return rwsSource
    // Its own relative import: ./events is events.ts.
    if (importer === rwsSource && id.startsWith('./')) return resolvePath(dirname(rwsSource), id + '.ts')
    return null
  },
  transform(code, id) {
    if (dirname(id) !== dirname(rwsSource)) return null
    const { outputText, sourceMapText } = typescriptCompiler.transpileModule(code, {
      fileName: id,
      compilerOptions: { target: typescriptCompiler.ScriptTarget.ES2020, module: typescriptCompiler.ModuleKind.ESNext, sourceMap: true },
      transformers: { before: id === rwsSource ? [withoutUnusedMembers] : [] },
    })
    return { code: outputText, map: JSON.parse(sourceMapText) }
  },
})

// Property names that never leave a bundle, so their long names can go:
// reconnecting-websocket's private members (_ws, _connectLock, …; _wsDebug is
// public), and the members of the bridge's and the delivery's own internal
// objects (the emitter, storage guard, message log, transport and its handlers,
// heartbeat, coalescer, ledger, delivery and its host, the entries' mounts).
// Never a name that the page, the user or Python reads or writes: no option,
// Status or Reset field, console command, batch or ledger record field, nor a
// name of the DOM or of a host's API. A name missing here only costs bytes;
// a public one here breaks the bundle, which test/minify-names.test.ts guards.
export const INTERNAL_NAMES = [
  'emit', 'readText', 'writeText', 'lastId', 'restart', 'save', 'onEvicted', 'resumeFrom', 'socket', 'wake',
  'prepareUrl', 'isOnline', 'connecting', 'gaveUp', 'stable', 'retry', 'ping', 'dead', 'problem',
  'mark', 'dispose', 'snapshot', 'acknowledge', 'resend', 'deliver', 'paint', 'replaces', 'identity', 'ledger',
  'delivery', 'tone', 'tick', 'indicator', 'entry', 'mounts', 'views', 'calls', 'unmountTimer', 'statusSent', 'setState',
  // reconnecting-websocket's options, set by transport.ts and read by the library, both inside the bundle
  // (not maxRetries nor WebSocket: those are the bridge's options too).
  'connectionTimeout', 'minReconnectionDelay', 'maxReconnectionDelay', 'reconnectionDelayGrowFactor', 'minUptime', 'maxEnqueuedMessages', 'startClosed',
]
const INTERNAL_PROPERTIES = new RegExp('^(_[a-z]\\w*|' + INTERNAL_NAMES.join('|') + ')$')

// The bridge's minification, for the script tag and the frameless component alike.
const minifyBridge = (options = {}) =>
  terser({
    ecma: 2020,
    compress: {
      passes: 3,
      pure_getters: true,
      unsafe_arrows: true,
    },
    mangle: { properties: { regex: INTERNAL_PROPERTIES, reserved: ['_wsDebug'] } },
    format: { comments: false },
    ...options,
  })

export default [
  // npm entry: reconnecting-websocket stays a dependency, shared with the app's own copy if any.
  {
    input: 'src/index.ts',
    external: ['reconnecting-websocket'],
    plugins: [ts()],
    output: [
      { file: 'dist/index.mjs', format: 'es', sourcemap: true },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    input: 'src/index.ts',
    plugins: [dts()],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
  // Script tag: everything inside, one global, minified.
  {
    input: 'src/script-tag.ts',
    plugins: [
      rwsFromSource(),
      resolve({ browser: true }),
      commonjs(),
      ts(),
      minifyBridge(),
    ],
    // freeze: false, since the one namespace object (reconnecting-websocket's, for
    // the #112 default-export guard) never leaves transport.ts.
    // sourcemap 'hidden': ws-bridge.min.js.map ships beside it, but the
    // sourceMappingURL line (38 B gzip, half a percent of the 7 kB budget) does
    // not; DevTools loads the map on request (Add source map…).
    output: { file: 'dist/ws-bridge.min.js', format: 'iife', sourcemap: 'hidden', freeze: false },
  },
  // Streamlit component frame: its own bundle, beside the Python package that serves it.
  // streamlit-component-lib (and the apache-arrow it pulls in) lives here only.
  {
    input: 'src/streamlit/component.ts',
    onwarn,
    plugins: [
      replace({ preventAssignment: true, values: { 'process.env.NODE_ENV': JSON.stringify('production') } }),
      resolve({ browser: true }),
      commonjs(),
      ts(),
      terser({ format: { comments: false } }),
      {
        name: 'component-html',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'index.html', source: readFileSync('src/streamlit/index.html', 'utf8') })
        },
      },
    ],
    output: { dir: 'python/streamlit_ws_bridge/frontend/build', entryFileNames: 'component.js', format: 'iife', sourcemap: true },
  },
  // Frameless component (Streamlit Components v2): an ES module Streamlit imports
  // into the app's page and whose default export it calls. No streamlit-component-lib,
  // no apache-arrow: the bridge, its ledger and the indicator only.
  {
    input: 'src/streamlit/v2.ts',
    // Minified as the script tag is (same bridge code, same reasoning): native
    // ES2020 reconnecting-websocket, its debug log dropped, private names shortened.
    plugins: [
      rwsFromSource(),
      resolve({ browser: true }),
      commonjs(),
      ts(),
      minifyBridge({ module: true }),
    ],
    // freeze: false as for the script tag: the namespace object never leaves transport.ts.
    output: { file: 'python/streamlit_ws_bridge/frontend/build/v2.js', format: 'es', sourcemap: 'hidden', freeze: false },
  },
  // The anywidget module (Jupyter, Voilà, marimo, …): an ES module beside the
  // Python class that loads it (widget/ws_bridge_widget), minified as the v2 module is.
  {
    input: 'src/anywidget/widget.ts',
    plugins: [rwsFromSource(), resolve({ browser: true }), commonjs(), ts(), minifyBridge({ module: true })],
    output: { file: 'widget/ws_bridge_widget/static/widget.js', format: 'es', sourcemap: 'hidden', freeze: false },
  },
]
