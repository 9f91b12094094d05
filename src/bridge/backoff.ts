export interface BackoffOptions {
  retryDelay: number
  maxRetryDelay: number
  jitter: number
}

/**
 * Delay before the attempt that follows `failures` failed ones: 0, then
 * retryDelay doubled per failure up to maxRetryDelay (1 s, 2 s, 4 s … 30 s).
 * Jitter shortens each delay by up to that share, so a restarted server is
 * not hit by every client in the same millisecond.
 */
export function retryDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  if (failures <= 0) return 0
  const exact = Math.min(options.maxRetryDelay, options.retryDelay * 2 ** (failures - 1))
  return Math.round(exact * (1 - options.jitter * random()))
}
