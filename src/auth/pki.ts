import { randomBytes } from 'node:crypto'
import forge from 'node-forge'

// Certificate generation for local mode (a self-signed serving certificate) and for tests that need a real CA,
// real serving certificates and real client certificates. Production certificates come from files.

export interface KeyPair { certPem: string; keyPem: string }
export interface CertificateAuthority extends KeyPair { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }

interface CertRequest {
  commonName: string
  organizations?: readonly string[]
  dnsNames?: readonly string[]
  ipAddresses?: readonly string[]
  usage: 'server' | 'client'
  validDays?: number
}

function baseCert(publicKey: forge.pki.PublicKey, commonName: string, organizations: readonly string[], validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  // Positive, random serial: reload tests tell certificates apart by it.
  cert.serialNumber = '01' + randomBytes(15).toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + validDays * 86_400_000)
  cert.setSubject([{ name: 'commonName', value: commonName }, ...organizations.map((o) => ({ name: 'organizationName', value: o }))])
  return cert
}

function keyPair(): forge.pki.rsa.KeyPair {
  return forge.pki.rsa.generateKeyPair({ bits: 2048 })
}

export function createCA(commonName: string, validDays = 365): CertificateAuthority {
  const keys = keyPair()
  const cert = baseCert(keys.publicKey, commonName, [], validDays)
  cert.setIssuer(cert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { cert, key: keys.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) }
}

function extensions(req: CertRequest): object[] {
  const altNames = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(req.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ]
  return [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: req.usage === 'server', clientAuth: req.usage === 'client' },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]
}

/** A certificate signed by `ca`, or self-signed when `ca` is undefined. */
export function issueCert(ca: CertificateAuthority | undefined, req: CertRequest): KeyPair {
  const keys = keyPair()
  const cert = baseCert(keys.publicKey, req.commonName, req.organizations ?? [], req.validDays ?? 365)
  cert.setIssuer((ca?.cert ?? cert).subject.attributes)
  cert.setExtensions(extensions(req))
  cert.sign(ca?.key ?? keys.privateKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) }
}

export function selfSignedServing(hosts: readonly string[]): KeyPair {
  const ipAddresses = hosts.filter((h) => /^[\d.]+$/.test(h) || h.includes(':'))
  const dnsNames = hosts.filter((h) => !ipAddresses.includes(h))
  return issueCert(undefined, { commonName: 'foresight-local', dnsNames, ipAddresses, usage: 'server', validDays: 30 })
}
