// @ts-check
// What the suites, the benchmarks and the local commands turn on in the servers they start:
// the example server's operator routes are off unless ADMIN_TOKEN is set, browsers of another
// origin are refused unless ALLOWED_ORIGINS names them, and sockets per address are capped.
import { randomBytes } from 'node:crypto'

/** @type {string | undefined} */
let runAdminToken

/**
 * The ADMIN_TOKEN of every server this process starts: random, made on first use, never written to a file.
 * @returns {string}
 */
export function adminToken() {
  runAdminToken ??= randomBytes(24).toString('hex')
  return runAdminToken
}

/**
 * The headers the example server's operator routes (/stats, /stats/reset, /admin/*) need.
 * @returns {{ authorization: string }}
 */
export const adminHeaders = () => ({ authorization: 'Bearer ' + adminToken() })

/**
 * The example server's environment in the suites and the benchmarks: the operator routes on
 * (adminToken()), pages of any origin allowed (the suites serve their pages, and Streamlit runs,
 * on ports of their own), and no cap on sockets per client address (every client here is 127.0.0.1).
 * @returns {NodeJS.ProcessEnv}
 */
export const testServerEnv = () => ({ ADMIN_TOKEN: adminToken(), ALLOWED_ORIGINS: '*', MAX_SOCKETS_PER_ADDRESS: '1000000' })
