import commonjs from '@rollup/plugin-commonjs'
import resolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import replace from '@rollup/plugin-replace'
import { readFileSync } from 'node:fs'
import { dts } from 'rollup-plugin-dts'

const ts = () => typescript({ tsconfig: './tsconfig.json', declaration: false, noEmitOnError: true })

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
      resolve({ browser: true }),
      commonjs(),
      ts(),
      terser({
        ecma: 2020,
        compress: {
          passes: 3,
          pure_getters: true,
          unsafe_arrows: true,
          // reconnecting-websocket logs through this._debug() only with its debug
          // option, which the bridge never sets: its log strings are dead weight.
          pure_funcs: ['this._debug', '_this._debug'],
        },
        // reconnecting-websocket's private members (_ws, _connectLock, …) never
        // leave this bundle, so their long names can go. _wsDebug is public.
        mangle: { properties: { regex: /^_[a-z]/, reserved: ['_wsDebug'] } },
        format: { comments: false },
      }),
    ],
    output: { file: 'dist/ws-bridge.min.js', format: 'iife', sourcemap: true },
  },
  // Streamlit component frame: its own bundle, beside the Python package that serves it.
  // streamlit-component-lib (and the apache-arrow it pulls in) lives here only.
  {
    input: 'src/streamlit/component.ts',
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
]
