import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA, issueCert, type CertificateAuthority, type KeyPair } from '../../src/auth/pki.js'

/** Real certificates for a test: a serving CA, a request-header CA with a front-proxy client, and impostors. */
export interface TestPki {
  dir: string
  servingCA: CertificateAuthority
  serving: KeyPair
  servingFiles: { certFile: string; keyFile: string }
  requestHeaderCA: CertificateAuthority
  requestHeaderCAFile: string
  frontProxy: KeyPair
  wrongName: KeyPair
  impostor: KeyPair
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-pki-'))
  const servingCA = createCA('test-serving-ca')
  const serving = issueCert(servingCA, { commonName: 'foresight', dnsNames: ['localhost', 'foresight.foresight.svc'], ipAddresses: ['127.0.0.1'], usage: 'server' })
  const requestHeaderCA = createCA('test-front-proxy-ca')
  const frontProxy = issueCert(requestHeaderCA, { commonName: 'front-proxy-client', usage: 'client' })
  const wrongName = issueCert(requestHeaderCA, { commonName: 'someone-else', usage: 'client' })
  const impostorCA = createCA('test-front-proxy-ca')
  const impostor = issueCert(impostorCA, { commonName: 'front-proxy-client', usage: 'client' })
  const servingFiles = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }
  writeFileSync(servingFiles.certFile, serving.certPem)
  writeFileSync(servingFiles.keyFile, serving.keyPem)
  const requestHeaderCAFile = join(dir, 'front-proxy-ca.crt')
  writeFileSync(requestHeaderCAFile, requestHeaderCA.certPem)
  return { dir, servingCA, serving, servingFiles, requestHeaderCA, requestHeaderCAFile, frontProxy, wrongName, impostor }
}
