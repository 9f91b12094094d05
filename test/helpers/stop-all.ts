/**
 * Runs every stop, even when an earlier one throws, then throws the first failure:
 * a browser that fails to close must not leave the servers after it running.
 */
export async function stopAll(...stops: Array<(() => Promise<unknown> | unknown) | null | undefined | false>): Promise<void> {
  const results = await Promise.allSettled(stops.map(async (stop) => (stop ? stop() : undefined)))
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed) throw failed.reason
}
