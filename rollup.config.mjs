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
// with the debug option, never set), the on* handlers, which nobody can set
// (if (this.onopen) …), the queue of messages sent before open, which only
// send() fills (this._messageQueue…), and the startClosed option, never set
// (if (this._options.startClosed) …). The build fails if a member is missing
// (a new version of the library) or still used by the code that stays.
export const RWS_UNUSED = [
  'CONNECTING', 'OPEN', 'CLOSING', 'binaryType', 'retryCount', 'bufferedAmount', 'extensions', 'protocol',
  'readyState', 'url', 'reconnect', 'send', 'dispatchEvent', 'removeEventListener', '_debug', 'onclose', 'onerror', 'onmessage', 'onopen',
  '_messageQueue',
]
const withoutUnusedMembers = (context) => (sourceFile) => {
  const t = typescriptCompiler
  const named = (node, names) => !!node && t.isIdentifier(node) && names.includes(node.text)
  const onThis = (node, names) => t.isPropertyAccessExpression(node) && node.expression.kind === t.SyntaxKind.ThisKeyword && named(node.name, names)
  // this._messageQueue.forEach(…) and this._messageQueue = [], read or written.
  const onQueue = (node) => {
    let found = false
    const visit = (child) => {
      if (onThis(child, ['_messageQueue'])) found = true
      else child.forEachChild(visit)
    }
    visit(node)
    return found
  }
  const startClosed = (node) =>
    t.isPropertyAccessExpression(node) && named(node.name, ['startClosed']) && onThis(node.expression, ['_options'])
  const isDead = (node) =>
    (t.isExpressionStatement(node) && t.isCallExpression(node.expression) && onThis(node.expression.expression, ['_debug'])) ||
    (t.isIfStatement(node) && (onThis(node.expression, ['onclose', 'onerror', 'onmessage', 'onopen']) || startClosed(node.expression))) ||
    (t.isExpressionStatement(node) && onQueue(node))
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
// src/bridge/rws-class.ts searches the import for the class, as the npm build needs
// (#112); compiled from its source, the library's default export is the class, so the
// bundles take it as it is. A library without that default export fails the build.
const rwsClassFile = resolvePath('src/bridge/rws-class.ts')
const RWS_CLASS_ID = '\0rws-class'
const rwsFromSource = () => ({
  name: 'reconnecting-websocket-from-source',
  resolveId(id, importer) {
    if (importer && id.startsWith('.') && resolvePath(dirname(importer), id) + '.ts' === rwsClassFile) return RWS_CLASS_ID
    if (id === 'reconnecting-websocket') return rwsSource
    // Its own relative import: ./events is events.ts.
    if (importer === rwsSource && id.startsWith('./')) return resolvePath(dirname(rwsSource), id + '.ts')
    return null
  },
  load(id) {
    if (id !== RWS_CLASS_ID) return null
    return "import ReconnectingWebSocket from 'reconnecting-websocket'\nexport const rwsClass = () => ReconnectingWebSocket\n"
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
  'ready', 'flush', 'args', 'interval', 'timeout', 'text',
  // reconnecting-websocket's options, set by transport.ts and read by the library, both inside the bundle
  // (not maxRetries nor WebSocket: those are the bridge's options too).
  'connectionTimeout', 'minReconnectionDelay', 'maxReconnectionDelay', 'reconnectionDelayGrowFactor', 'minUptime', 'maxEnqueuedMessages', 'startClosed',
]
// connect()'s options that are internal in the host components' modules (v2.js,
// widget.js, the Dash and Gradio scripts) only. The page passes them to the script tag's connect(), so there they
// stay; a host module builds its options object itself (openDelivery: Python's
// few options over DEFAULTS), hands it to the bridge and its parts, and nothing
// outside the module sees it; nor does the camelCase form of Python's options (readOptions,
// readArgs), which Python passes under their snake_case names. Not `player`, `url` or `room`,
// which Python passes as they are, nor a Status field (storage), a DOM or built-in name (debug,
// fetch, WebSocket): test/minify-names.test.ts guards that too.
export const HOST_INTERNAL_NAMES = [
  'dedupKey', 'dedupWindow', 'resumeParam', 'retryDelay', 'maxRetryDelay', 'jitter', 'maxRetries', 'connectTimeout', 'stableAfter',
  'heartbeatInterval', 'heartbeatTimeout', 'pingMessage', 'isPong', 'fallbackInterval', 'maxQueued', 'maxFrameSize', 'flushDelay',
  'debugWindow', 'lifecycle', 'protocols',
  'fallbackUrl', 'maxMessages', 'tokenUrl', 'throttleMs', 'showStatus', 'ackTab',
]
const propertyPattern = (names) => new RegExp('^(_[a-z]\\w*|' + names.join('|') + ')$')

// The bridge's minification, for the script tag and the frameless component alike;
// `names`: the property names to shorten.
const minifyBridge = (options = {}, names = INTERNAL_NAMES) =>
  terser({
    ecma: 2020,
    compress: {
      passes: 3,
      pure_getters: true,
      unsafe_arrows: true,
      // Inlining only the simplest functions: measured smaller after gzip than
      // terser's default, which copies bigger bodies into their call sites.
      inline: 1,
    },
    // builtins: terser otherwise keeps every name it knows from the DOM (mark, entry,
    // emit, readText, …) whatever the regex says; the names listed are ours alone.
    mangle: { properties: { regex: propertyPattern(names), reserved: ['_wsDebug'], builtins: true } },
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
    // freeze: false, since a namespace object would never leave its module (there is
    // none now: rws-class.ts, which reads reconnecting-websocket's, is swapped out).
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
      minifyBridge({ module: true }, [...INTERNAL_NAMES, ...HOST_INTERNAL_NAMES]),
    ],
    // freeze: false as for the script tag.
    output: { file: 'python/streamlit_ws_bridge/frontend/build/v2.js', format: 'es', sourcemap: 'hidden', freeze: false },
  },
  // The anywidget module (Jupyter, Voilà, marimo, …): an ES module beside the
  // Python class that loads it (widget/ws_bridge_widget), minified as the v2 module is.
  {
    input: 'src/anywidget/widget.ts',
    plugins: [rwsFromSource(), resolve({ browser: true }), commonjs(), ts(), minifyBridge({ module: true }, [...INTERNAL_NAMES, ...HOST_INTERNAL_NAMES])],
    output: { file: 'widget/ws_bridge_widget/static/widget.js', format: 'es', sourcemap: 'hidden', freeze: false },
  },
  // The Dash script: a classic script (Dash adds its scripts as <script src>, before its
  // renderer), beside the Python package that serves it (dash_component/ws_bridge_dash).
  {
    input: 'src/dash/bridge.ts',
    plugins: [rwsFromSource(), resolve({ browser: true }), commonjs(), ts(), minifyBridge({}, [...INTERNAL_NAMES, ...HOST_INTERNAL_NAMES])],
    output: { file: 'dash_component/ws_bridge_dash/static/bridge.js', format: 'iife', sourcemap: 'hidden', freeze: false },
  },
  // The Gradio component's script (gradio_component/ws_bridge_gradio): an IIFE, since Gradio runs
  // it as part of a gr.HTML's js_on_load function body; minified as the host modules are.
  {
    input: 'src/gradio/global.ts',
    plugins: [rwsFromSource(), resolve({ browser: true }), commonjs(), ts(), minifyBridge({}, [...INTERNAL_NAMES, ...HOST_INTERNAL_NAMES])],
    output: { file: 'gradio_component/ws_bridge_gradio/static/bridge.js', format: 'iife', sourcemap: 'hidden', freeze: false },
  },
]
