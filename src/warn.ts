const warned = new Set<string>()

/** Storage and option problems are worth one line in the console, not one per message. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return
  warned.add(message)
  console.warn('[ws-bridge] ' + message)
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
