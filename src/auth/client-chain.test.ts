import { X509Certificate } from 'node:crypto'
import t from 'tap'
import { chainProblem, parseCABundle } from './client-chain.js'
import { createCA, issueCert } from './pki.js'

const ca = createCA('front-proxy-ca')
const otherCA = createCA('front-proxy-ca') // same name, other key: an impostor
const x509 = (pem: string): X509Certificate => new X509Certificate(pem)
const proxy = x509(issueCert(ca, { commonName: 'front-proxy-client', usage: 'client' }).certPem)

t.test('parseCABundle: every block must be a CA certificate', async (t) => {
  t.equal(parseCABundle(ca.certPem + otherCA.certPem).length, 2)
  t.throws(() => parseCABundle(''), /holds no PEM certificate/)
  t.throws(() => parseCABundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /certificate 1 of the CA bundle does not parse/)
  t.throws(() => parseCABundle(ca.certPem + issueCert(ca, { commonName: 'leaf', usage: 'client' }).certPem), /certificate 2 of the CA bundle \(CN=leaf\) is not a CA certificate/)
})

t.test('chainProblem', async (t) => {
  const trusted = parseCABundle(ca.certPem)
  const now = Date.now()
  const cases: Array<[string, X509Certificate[], X509Certificate[], number, RegExp | undefined]> = [
    ['signed by the CA', [proxy], trusted, now, undefined],
    ['signed by one CA of a bundle', [proxy], parseCABundle(otherCA.certPem + ca.certPem), now, undefined],
    ['an impostor CA of the same name', [x509(issueCert(otherCA, { commonName: 'front-proxy-client', usage: 'client' }).certPem)], trusted, now, /not signed by the request-header CA/],
    ['the CA withdrawn', [proxy], parseCABundle(otherCA.certPem), now, /not signed by the request-header CA/],
    ['a server certificate', [x509(issueCert(ca, { commonName: 'front-proxy-client', usage: 'server' }).certPem)], trusted, now, /not for client authentication/],
    ['expired', [proxy], trusted, now + 400 * 86_400_000, /expired or not yet valid/],
    ['no certificate', [], trusted, now, /no client certificate/],
  ]
  for (const [name, chain, cas, at, want] of cases) {
    const problem = chainProblem(chain, cas, at)
    if (want === undefined) t.equal(problem, undefined, name)
    else t.match(problem, want, name)
  }
})
