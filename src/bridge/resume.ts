/**
 * `address` resolved against the page, with the id to resume from (the newest id, or
 * a reset's `resume`) as `param`, none before there is one, none when `param`
 * is false: how every (re)connect and every fallback poll resumes.
 */
export function resumeUrl(address: string, param: string | false, resumeFrom: string | undefined): URL {
  const url = new URL(address, typeof location !== 'undefined' ? location.href : undefined)
  if (param && resumeFrom !== undefined) url.searchParams.set(param, resumeFrom)
  return url
}
