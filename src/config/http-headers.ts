/**
 * Extra request headers sent to a Prometheus-compatible store (the tenant header of Mimir, Cortex or a vmauth
 * route, `X-Scope-OrgID`). One set of rules for the configuration and the backtest flags, so both refuse the same
 * headers with the same words.
 */

// RFC 9110 token characters: what a field name may hold.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// Visible ASCII, spaces and tabs, and obs-text; no CR, LF or NUL, which would split or end the request.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

// Set by the HTTP client for each request (framing, the target, the form body): a second value would make a
// request the store may read differently from what was meant.
const CLIENT_OWNED = new Set([
  'host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive',
  'proxy-connection', 'upgrade', 'te', 'trailer', 'expect',
])

/** What is wrong with a header name, or undefined. */
export function headerNameProblem(name: string): string | undefined {
  if (name === '') return 'the header name is empty'
  if (!TOKEN.test(name)) return `"${clip(name)}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only, no spaces or colons)`
  if (CLIENT_OWNED.has(name.toLowerCase())) return `${name} is set by the HTTP client for each request and cannot be overridden`
  return undefined
}

/** What is wrong with a header value, or undefined. The value itself is never echoed: it may be a secret. */
export function headerValueProblem(value: string): string | undefined {
  if (!FIELD_VALUE.test(value)) return 'the value holds a line break or another control character'
  if (value.trim() === '') return 'the value is empty'
  return undefined
}

/** The same header named twice, in any case mix (header names are case-insensitive). */
export function duplicateHeaderNames(names: Iterable<string>): string[] {
  const seen = new Map<string, string>()
  const dups: string[] = []
  for (const n of names) {
    const prior = seen.get(n.toLowerCase())
    if (prior !== undefined) dups.push(prior === n ? n : `${prior} and ${n}`)
    else seen.set(n.toLowerCase(), n)
  }
  return dups
}

export function isAuthorization(name: string): boolean {
  return name.toLowerCase() === 'authorization'
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text
}
