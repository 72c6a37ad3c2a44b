import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, BasicConstraints, Certificate, ExtendedKeyUsage, Extension,
  Extensions, GeneralName, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectAlternativeName,
  SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity, Version, id_ce_basicConstraints,
  id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_ce_subjectKeyIdentifier, id_kp_clientAuth, id_kp_serverAuth,
} from '@peculiar/asn1-x509'

// Certificate generation for local mode (a self-signed serving certificate) and for tests that need a real CA,
// real serving certificates and real client certificates. Production certificates come from files.
// Keys and signatures are Node's crypto; Node has no API that issues an X.509 certificate, so the certificate's
// DER structure is built with the ASN.1 schema of @peculiar/asn1-x509 (RFC 5280) and signed here synchronously.

export interface KeyPair { certPem: string; keyPem: string }
export interface CertificateAuthority extends KeyPair { subject: Name; key: KeyObject }

interface CertRequest {
  commonName: string
  organizations?: readonly string[]
  dnsNames?: readonly string[]
  ipAddresses?: readonly string[]
  /** 'both': one certificate a process serves with and presents as a client (KEDA's operator and metrics server do). */
  usage: 'server' | 'client' | 'both'
  validDays?: number
}

const OID_COMMON_NAME = '2.5.4.3'
const OID_ORGANIZATION = '2.5.4.10'
// sha256WithRSAEncryption; RSA algorithm identifiers carry an explicit NULL parameter.
const SHA256_WITH_RSA = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null })

function rsaKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
}

function distinguishedName(commonName: string, organizations: readonly string[]): Name {
  const rdn = (type: string, value: string): RelativeDistinguishedName =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })])
  return new Name([rdn(OID_COMMON_NAME, commonName), ...organizations.map((o) => rdn(OID_ORGANIZATION, o))])
}

function extension(extnID: string, value: unknown, critical = false): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })
}

/** A fresh ArrayBuffer holding exactly these bytes (a Buffer may be a view into a shared pool). */
function bytes(b: Uint8Array): ArrayBuffer {
  return Uint8Array.from(b).buffer
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

/** A v3 certificate for `publicKey`, signed with SHA-256 by `signingKey`, as PEM. */
function certificate(o: {
  publicKey: KeyObject; subject: Name; issuer: Name; signingKey: KeyObject; validDays: number; extensions: Extension[]
}): string {
  const now = Date.now()
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    // Positive, random serial: reload tests tell certificates apart by it.
    serialNumber: bytes(Buffer.concat([Buffer.from([1]), randomBytes(15)])),
    signature: SHA256_WITH_RSA,
    issuer: o.issuer,
    validity: new Validity({ notBefore: new Date(now - 60_000), notAfter: new Date(now + o.validDays * 86_400_000) }),
    subject: o.subject,
    subjectPublicKeyInfo: AsnConvert.parse(o.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
    extensions: new Extensions(o.extensions),
  })
  const tbs = Buffer.from(AsnConvert.serialize(tbsCertificate))
  const signatureValue = bytes(sign('sha256', tbs, o.signingKey)) // RSASSA-PKCS1-v1_5
  const cert = new Certificate({ tbsCertificate, signatureAlgorithm: SHA256_WITH_RSA, signatureValue })
  return toPem('CERTIFICATE', new Uint8Array(AsnConvert.serialize(cert)))
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'pem' }).toString()
}

/** RFC 5280's key identifier: the SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo)
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest()
}

export function createCA(commonName: string, validDays = 365): CertificateAuthority {
  const { publicKey, privateKey } = rsaKeyPair()
  const subject = distinguishedName(commonName, [])
  const certPem = certificate({
    publicKey, subject, issuer: subject, signingKey: privateKey, validDays,
    extensions: [
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: true }), true),
      extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature), true),
      extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(publicKey))),
    ],
  })
  return { certPem, keyPem: privateKeyPem(privateKey), subject, key: privateKey }
}

function leafExtensions(req: CertRequest): Extension[] {
  const altNames = [
    ...(req.dnsNames ?? []).map((dNSName) => new GeneralName({ dNSName })),
    ...(req.ipAddresses ?? []).map((iPAddress) => new GeneralName({ iPAddress })),
  ]
  return [
    extension(id_ce_basicConstraints, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment), true),
    extension(id_ce_extKeyUsage, new ExtendedKeyUsage(req.usage === 'both' ? [id_kp_serverAuth, id_kp_clientAuth] : [req.usage === 'server' ? id_kp_serverAuth : id_kp_clientAuth])),
    ...(altNames.length > 0 ? [extension(id_ce_subjectAltName, new SubjectAlternativeName(altNames))] : []),
  ]
}

/** A certificate signed by `ca`, or self-signed when `ca` is undefined. */
export function issueCert(ca: CertificateAuthority | undefined, req: CertRequest): KeyPair {
  const { publicKey, privateKey } = rsaKeyPair()
  const subject = distinguishedName(req.commonName, req.organizations ?? [])
  const certPem = certificate({
    publicKey, subject, issuer: ca?.subject ?? subject, signingKey: ca?.key ?? privateKey, validDays: req.validDays ?? 365,
    extensions: leafExtensions(req),
  })
  return { certPem, keyPem: privateKeyPem(privateKey) }
}

export function selfSignedServing(hosts: readonly string[]): KeyPair {
  const ipAddresses = hosts.filter((h) => /^[\d.]+$/.test(h) || h.includes(':'))
  const dnsNames = hosts.filter((h) => !ipAddresses.includes(h))
  return issueCert(undefined, { commonName: 'foresight-local', dnsNames, ipAddresses, usage: 'server', validDays: 30 })
}
