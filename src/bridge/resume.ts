/**
 * `address` resolved against the page, with the cursor held (the newest id, or
 * a reset's `resume`) as `param`, none before there is one, none when `param`
 * is false: how every (re)connect and every fallback poll resumes.
 */
export function resumeUrl(address: string, param: string | false, cursor: string | undefined): URL {
  const url = new URL(address, typeof location !== 'undefined' ? location.href : undefined)
  if (param && cursor !== undefined) url.searchParams.set(param, cursor)
  return url
}
