// Room tokens for the host components: with token_url (Streamlit's ws_bridge,
// the widget's WsBridge) the browser fetches a fresh token before every
// (re)connect and every fallback poll, since a token lives minutes and a page
// stays open for hours. openDelivery (delivery.ts) wires it for every host.
import { resumeUrl } from '../bridge/resume'
import type { UrlProvider } from '../index'
import { errorText } from '../warn'

/** How long the token route may take; then the attempt fails and the bridge's backoff retries it. */
export const TOKEN_TIMEOUT_MS = 10000
/** A longer answer is refused: the token goes on every URL, and the route's answer is not trusted. */
export const MAX_TOKEN_LENGTH = 4096

/** GET tokenUrl, answering JSON with a string `token`. Rejects with a message that never holds a token. */
export async function fetchToken(tokenUrl: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), TOKEN_TIMEOUT_MS)
  try {
    const response = await fetchImpl(tokenUrl, { signal: controller.signal, cache: 'no-store' })
    if (!response.ok) throw new Error('HTTP ' + response.status)
    // A parse error would quote the answer, and a plain-text answer may be a token: it is left unsaid.
    const body: unknown = await response.json().catch(() => null)
    const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined
    if (typeof token !== 'string' || !token || token.length > MAX_TOKEN_LENGTH) throw new Error('the answer has no "token" string')
    return token
  } catch (err) {
    throw new Error('token request failed: ' + (controller.signal.aborted ? 'no answer in ' + TOKEN_TIMEOUT_MS + ' ms' : errorText(err)))
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `url` as it is without a token URL; with one, a provider that fetches a
 * token on each call and puts it on the URL as `token`, with `client` when
 * given (the fallback poll names its client: the socket has it in its path).
 */
export function withToken(url: string, tokenUrl: string | null, client: string | null): UrlProvider {
  if (!tokenUrl) return url
  return async () => {
    const token = await fetchToken(tokenUrl)
    // Resolved against the page, as the bridge resolves a URL without a token.
    const next = resumeUrl(url, false, undefined)
    next.searchParams.set('token', token)
    if (client !== null) next.searchParams.set('client', client)
    return next.toString()
  }
}
