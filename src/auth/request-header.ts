import type { IncomingMessage } from 'node:http'
import type { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { chainProblem, peerChain } from './client-chain.js'
import type { UserInfo } from './types.js'

export interface RequestHeaderOptions {
  /** The request-header CA bundle as it is now; a proxy certificate must lead to one of these. */
  clientCAs: readonly X509Certificate[]
  allowedNames: readonly string[]
  usernameHeaders: readonly string[]
  groupHeaders: readonly string[]
  extraHeaderPrefixes: readonly string[]
}

type RequestHeaderResult =
  | { kind: 'none' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'user'; user: UserInfo }

/**
 * The front proxy (kube-apiserver) proves who it is with a client certificate signed by the request-header CA;
 * only then are its X-Remote-* headers believed. The chain is checked against the CA as it is now, not as it was
 * at the TLS handshake: a kept-alive connection outlives a CA rotation.
 */
export function authenticateRequestHeader(req: IncomingMessage, opts: RequestHeaderOptions): RequestHeaderResult {
  const proxy = verifyProxy(req.socket, opts)
  if (proxy !== 'trusted') return proxy
  const headers = req.headersDistinct
  const username = firstValue(headers, opts.usernameHeaders)
  if (username === undefined || username === '') return { kind: 'none' }
  const groups = opts.groupHeaders.flatMap((h) => headers[h.toLowerCase()] ?? [])
  // A Map: the keys come from header names, and `__proto__` or `constructor` must be keys like any other.
  const extra = new Map<string, string[]>()
  for (const [name, values] of Object.entries(headers)) {
    const prefix = opts.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()))
    if (prefix === undefined || values === undefined) continue
    let key: string
    try {
      key = decodeURIComponent(name.slice(prefix.length))
    } catch {
      return { kind: 'rejected', reason: `malformed extra header ${name}` }
    }
    extra.set(key.toLowerCase(), [...(extra.get(key.toLowerCase()) ?? []), ...values])
  }
  return { kind: 'user', user: { username, groups, extra: Object.fromEntries(extra) } }
}

// The peer certificate cannot change within a TLS connection, so its verdict is kept per socket (a kept-alive
// front-proxy connection carries thousands of requests) for as long as the settings it was reached with are the
// current ones (a reload replaces the arrays) and the certificate is in date.
interface Verdict { clientCAs: readonly X509Certificate[]; allowedNames: readonly string[]; untilMs: number; verdict: RequestHeaderResult | 'trusted' }
const verdicts = new WeakMap<object, Verdict>()

function verifyProxy(socket: IncomingMessage['socket'], opts: RequestHeaderOptions): RequestHeaderResult | 'trusted' {
  const nowMs = Date.now()
  const cached = verdicts.get(socket)
  if (cached !== undefined && cached.clientCAs === opts.clientCAs && cached.allowedNames === opts.allowedNames && nowMs <= cached.untilMs) return cached.verdict
  const { verdict, untilMs } = peerVerdict(socket as Partial<TLSSocket>, opts, nowMs)
  verdicts.set(socket, { clientCAs: opts.clientCAs, allowedNames: opts.allowedNames, untilMs, verdict })
  return verdict
}

function peerVerdict(socket: Partial<TLSSocket>, opts: RequestHeaderOptions, nowMs: number): { verdict: RequestHeaderResult | 'trusted'; untilMs: number } {
  const forever = Number.POSITIVE_INFINITY
  if (typeof socket.getPeerCertificate !== 'function') return { verdict: { kind: 'none' }, untilMs: forever }
  const chain = peerChain(socket as Pick<TLSSocket, 'getPeerCertificate'>)
  if (chain.length === 0) return { verdict: { kind: 'none' }, untilMs: forever }
  const untilMs = Math.min(...chain.map((c) => Date.parse(c.validTo)))
  const problem = chainProblem(chain, opts.clientCAs, nowMs)
  // A refusal is looked at again within a minute: a certificate not yet valid, or a CA about to be published.
  if (problem !== undefined) return { verdict: { kind: 'rejected', reason: problem }, untilMs: Math.min(untilMs, nowMs + 60_000) }
  const subject = socket.getPeerCertificate().subject
  const cn = Array.isArray(subject.CN) ? subject.CN[0] : subject.CN
  if (opts.allowedNames.length > 0 && (cn === undefined || !opts.allowedNames.includes(cn))) {
    return { verdict: { kind: 'rejected', reason: 'client certificate common name is not an allowed request-header name' }, untilMs }
  }
  return { verdict: 'trusted', untilMs }
}

function firstValue(headers: NodeJS.Dict<string[]>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = headers[name.toLowerCase()]?.[0]
    if (v !== undefined) return v.trim()
  }
  return undefined
}

