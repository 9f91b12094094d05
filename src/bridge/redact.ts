/**
 * The URL as it may be shown in status, storage and the console: every query
 * value except those named in `keep` (the resume id) becomes ***, and so do
 * user and password. Tokens belong in the query at worst, never in a log.
 */
export function redactUrl(url: string, keep: ReadonlyArray<string> = []): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '[invalid url]'
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***'
    parsed.password = ''
  }
  for (const name of new Set(parsed.searchParams.keys())) {
    if (keep.indexOf(name) < 0) parsed.searchParams.set(name, '***')
  }
  return parsed.toString()
}
