import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { createCA, issueCert, type CertificateAuthority } from '../../src/auth/pki.js'
import { noSchemaCompilers } from '../../src/server/no-schemas.js'

// The common part of the HTTPS stand-ins for kube-apiserver endpoints: client-node refuses plain HTTP, so each
// stand-in gets its own CA, a serving certificate for 127.0.0.1, and a kubeconfig that trusts that CA.

export interface StandIn {
  app: FastifyInstance
  ca: CertificateAuthority
}

/** An HTTPS fastify app that also accepts JSON merge patches, as kube-apiserver does. */
export function standInApp(name: string): StandIn {
  const ca = createCA(`${name}-ca`)
  const serving = issueCert(ca, { commonName: name, ipAddresses: ['127.0.0.1'], usage: 'server' })
  // Without fastify's schema compilers, as the adapter's servers: the benchmarks run this stand-in inside the
  // adapter's process, whose memory they measure.
  const app = Fastify({ https: { cert: serving.certPem, key: serving.keyPem }, forceCloseConnections: true, schemaController: noSchemaCompilers })
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
  return { app, ca }
}

/** Listens on a free loopback port and writes a kubeconfig for it, authenticating as `user` with a token. */
export async function listenWithKubeconfig(s: StandIn, user: string): Promise<{ url: string; kubeconfigFile: string }> {
  await s.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `https://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`
  const kubeconfigFile = join(mkdtempSync(join(tmpdir(), 'foresight-kubeconfig-')), 'kubeconfig')
  writeFileSync(kubeconfigFile, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'standin', cluster: { server: url, 'certificate-authority-data': Buffer.from(s.ca.certPem).toString('base64') } }],
    users: [{ name: user, user: { token: `${user}-sa-token` } }],
    contexts: [{ name: 'standin', context: { cluster: 'standin', user } }],
    'current-context': 'standin',
  }))
  return { url, kubeconfigFile }
}

/** Applies a JSON merge patch (RFC 7386) as kube-apiserver does: null removes a key, objects merge, the rest replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = applyMergePatch(out[k], v)
  }
  return out
}
