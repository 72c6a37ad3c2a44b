import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCA, issueCert, type CertificateAuthority } from '../../../src/auth/pki.js'

export interface ServingCert { ca: CertificateAuthority; caBase64: string; certFile: string; keyFile: string }

/**
 * A throw-away CA and a serving certificate. kube-apiserver dials an APIService's ExternalName Service with TLS
 * server name <service>.<namespace>.svc and a webhook `url:` by its IP, so both names go in.
 */
export function servingCert(dir: string, name: string, dnsNames: readonly string[]): ServingCert {
  const ca = createCA(`${name}-ca`)
  const pair = issueCert(ca, { commonName: name, dnsNames, ipAddresses: ['127.0.0.1'], usage: 'server' })
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  writeFileSync(certFile, pair.certPem)
  writeFileSync(keyFile, pair.keyPem)
  return { ca, caBase64: Buffer.from(ca.certPem).toString('base64'), certFile, keyFile }
}
