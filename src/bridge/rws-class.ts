// reconnecting-websocket's class, for transport.ts. The npm build leaves the library
// a dependency, and the app's bundler hands its default export over in one of three
// shapes (#112), hence the search below. The self-contained bundles compile the
// library's own ES module source, where the shape is known: rollup.config.mjs puts a
// plain default import in place of this file there, without the search and its error.
import * as rwsModule from 'reconnecting-websocket'

export type RwsInstance = {
  close(code?: number, reason?: string): void
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void
}
export type RwsConstructor = new (url: () => Promise<string>, protocols: string | string[] | undefined, options: object) => RwsInstance

/**
 * reconnecting-websocket ships CJS with `module.exports = Class` beside an ESM
 * default export (#112): depending on the bundler the import is the class,
 * `{ default: Class }`, or `{ default: { default: Class } }`.
 */
export function resolveDefaultExport(mod: unknown): RwsConstructor {
  let candidate = mod
  for (let depth = 0; depth < 3 && typeof candidate !== 'function'; depth++) {
    candidate = candidate && (candidate as { default?: unknown }).default
  }
  if (typeof candidate !== 'function') throw new Error('[ws-bridge] reconnecting-websocket did not load')
  return candidate as RwsConstructor
}

/** The class, looked up when a transport starts (nothing runs at import). */
export const rwsClass = (): RwsConstructor => resolveDefaultExport(rwsModule)
