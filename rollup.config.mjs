import commonjs from '@rollup/plugin-commonjs'
import resolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
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
          passes: 2,
          // reconnecting-websocket logs through this._debug() only with its debug
          // option, which the bridge never sets: its log strings are dead weight.
          pure_funcs: ['this._debug', '_this._debug'],
        },
        format: { comments: false },
      }),
    ],
    output: { file: 'dist/ws-bridge.min.js', format: 'iife', sourcemap: true },
  },
]
