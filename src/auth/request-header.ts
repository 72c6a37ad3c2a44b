import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { UserInfo } from './types.js'

export interface RequestHeaderOptions {
  allowedNames: readonly string[]
  usernameHeaders: readonly string[]
  groupHeaders: readonly string[]
  extraHeaderPrefixes: readonly string[]
}

export type RequestHeaderResult =
  | { kind: 'none' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'user'; user: UserInfo }

/**
 * The front proxy (kube-apiserver) proves who it is with a client certificate signed by the request-header CA;
 * only then are its X-Remote-* headers believed. The TLS layer verified the chain against that CA (it is the only
 * CA in the server's client-CA list), so `authorized` means "signed by the request-header CA".
 */
export function authenticateRequestHeader(req: IncomingMessage, opts: RequestHeaderOptions): RequestHeaderResult {
  const proxy = verifyProxy(req.socket, opts.allowedNames)
  if (proxy !== 'trusted') return proxy
  const headers = req.headersDistinct
  const username = firstValue(headers, opts.usernameHeaders)
  if (username === undefined || username === '') return { kind: 'none' }
  const groups = opts.groupHeaders.flatMap((h) => headers[h.toLowerCase()] ?? [])
  const extra: Record<string, string[]> = {}
  for (const [name, values] of Object.entries(headers)) {
    const prefix = opts.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()))
    if (prefix === undefined || values === undefined) continue
    let key: string
    try {
      key = decodeURIComponent(name.slice(prefix.length))
    } catch {
      return { kind: 'rejected', reason: `malformed extra header ${name}` }
    }
    extra[key.toLowerCase()] = [...(extra[key.toLowerCase()] ?? []), ...values]
  }
  return { kind: 'user', user: { username, groups, extra } }
}

// The peer certificate cannot change within a TLS connection, so its verdict is kept per socket: a kept-alive
// front-proxy connection carries thousands of requests.
const verdicts = new WeakMap<object, { allowedNames: readonly string[]; verdict: RequestHeaderResult | 'trusted' }>()

function verifyProxy(socket: IncomingMessage['socket'], allowedNames: readonly string[]): RequestHeaderResult | 'trusted' {
  const cached = verdicts.get(socket)
  if (cached !== undefined && cached.allowedNames === allowedNames) return cached.verdict
  const verdict = peerVerdict(socket as Partial<TLSSocket>, allowedNames)
  verdicts.set(socket, { allowedNames, verdict })
  return verdict
}

function peerVerdict(socket: Partial<TLSSocket>, allowedNames: readonly string[]): RequestHeaderResult | 'trusted' {
  if (typeof socket.getPeerCertificate !== 'function') return { kind: 'none' }
  const peer = socket.getPeerCertificate()
  if (peer === null || Object.keys(peer).length === 0) return { kind: 'none' }
  if (socket.authorized !== true) return { kind: 'rejected', reason: 'client certificate is not signed by the request-header CA' }
  const cn = Array.isArray(peer.subject.CN) ? peer.subject.CN[0] : peer.subject.CN
  if (allowedNames.length > 0 && (cn === undefined || !allowedNames.includes(cn))) {
    return { kind: 'rejected', reason: 'client certificate common name is not an allowed request-header name' }
  }
  return 'trusted'
}

function firstValue(headers: NodeJS.Dict<string[]>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = headers[name.toLowerCase()]?.[0]
    if (v !== undefined) return v.trim()
  }
  return undefined
}

