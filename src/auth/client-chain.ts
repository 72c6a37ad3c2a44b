import { X509Certificate } from 'node:crypto'
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls'

// Client-certificate checks done per request rather than trusted from the TLS handshake: the handshake judged the
// certificate against the CA of that moment, and a kept-alive connection outlives a CA rotation (a withdrawn CA
// must stop counting at once, a newly published one must start to). kube-apiserver's x509 authenticator verifies
// the peer chain against its current CA pool the same way.

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const MAX_CHAIN = 5

class CABundleError extends Error {
  override name = 'CABundleError'
}

/** The CA certificates of a PEM bundle; throws unless it holds at least one and every block is a CA certificate. */
export function parseCABundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) throw new CABundleError('the CA bundle holds no PEM certificate')
  return blocks.map((block, i) => {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(block)
    } catch (err) {
      throw new CABundleError(`certificate ${i + 1} of the CA bundle does not parse: ${(err as Error).message}`)
    }
    if (!cert.ca) throw new CABundleError(`certificate ${i + 1} of the CA bundle (${cert.subject.replace(/\n/g, ', ')}) is not a CA certificate`)
    return cert
  })
}

/** The certificates the peer sent, leaf first (empty when it sent none). */
export function peerChain(socket: Pick<TLSSocket, 'getPeerCertificate'>): X509Certificate[] {
  const out: X509Certificate[] = []
  const seen = new Set<string>()
  let cur: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
  while (cur?.raw !== undefined && out.length < MAX_CHAIN && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256)
    out.push(new X509Certificate(cur.raw))
    cur = cur.issuerCertificate
  }
  return out
}

const validAt = (cert: X509Certificate, nowMs: number): boolean => Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo)
const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey)

/**
 * Whether `chain` (leaf first, as sent) leads to one of `cas`: every certificate in date, each signed by the
 * next (which must be a CA) until one is signed by a trusted CA; a leaf that names its purposes must allow client
 * authentication. Undefined when it does; otherwise why not.
 */
export function chainProblem(chain: readonly X509Certificate[], cas: readonly X509Certificate[], nowMs = Date.now()): string | undefined {
  const leaf = chain[0]
  if (leaf === undefined) return 'no client certificate'
  const purposes = leaf.keyUsage
  if (purposes !== undefined && purposes.length > 0 && !purposes.includes(CLIENT_AUTH)) return 'client certificate is not for client authentication'
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]
    if (cert === undefined || !validAt(cert, nowMs)) return 'client certificate chain is expired or not yet valid'
    const anchor = cas.find((ca) => signedBy(cert, ca))
    if (anchor !== undefined) return validAt(anchor, nowMs) ? undefined : 'the request-header CA is expired'
    const next = chain[i + 1]
    if (next === undefined || !next.ca || !signedBy(cert, next)) break
  }
  return 'client certificate is not signed by the request-header CA'
}
