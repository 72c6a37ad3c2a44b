import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'
import type { AdapterConfig } from '../config/schema.js'
import { allowAllAuthorizer, DelegatedAuthenticator, DelegatedAuthorizer, localAuthenticator } from '../auth/delegated.js'
import { selfSignedServing, type KeyPair } from '../auth/pki.js'
import type { RequestHeaderOptions } from '../auth/request-header.js'
import { readServingFiles } from '../auth/tls.js'
import { readExtensionApiserverAuthentication, type RequestHeaderAuthConfig } from '../kube/auth-config.js'
import { loadKubeConfig } from '../kube/client.js'
import { kubeReviewClient } from '../kube/reviews.js'
import { ReplaySource } from '../source/replay.js'
import type { AdapterDeps } from './server.js'

/** Builds everything the adapter needs from validated config; each failure says what could not be loaded. */
export async function buildAdapterDeps(cfg: AdapterConfig, log: Logger): Promise<AdapterDeps> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const source = ReplaySource.fromConfig(cfg.source)

  let serving: KeyPair
  if (cfg.tls.certFile !== undefined && cfg.tls.keyFile !== undefined) {
    serving = readServingFiles(cfg.tls.certFile, cfg.tls.keyFile)
  } else {
    log.warn('no serving certificate configured: using a self-signed one (local mode only)')
    serving = selfSignedServing(['localhost', '127.0.0.1', '::1', cfg.listen.host])
  }
  const certFiles = cfg.tls.certFile !== undefined && cfg.tls.keyFile !== undefined
    ? { certFile: cfg.tls.certFile, keyFile: cfg.tls.keyFile, reloadIntervalMs: cfg.tls.reloadIntervalMs }
    : undefined

  const common = {
    listen: cfg.listen,
    metricsListen: cfg.metrics,
    log,
    registry,
    source,
    serving,
    ...(certFiles !== undefined ? { certFiles } : {}),
  }
  const sourceCheck = { name: 'source', check: () => source.readiness() }

  if (cfg.auth.mode === 'local') {
    return { ...common, authenticator: localAuthenticator, authorizer: allowAllAuthorizer, readiness: [sourceCheck] }
  }

  const kc = loadKubeConfig(cfg.auth.kubeconfig)
  const rh = await requestHeaderConfig(cfg, kc)
  const requestHeader: RequestHeaderOptions = rh
  const delegated = { requestHeader: () => requestHeader, reviews: kubeReviewClient(kc), ...cfg.auth.authorization }
  return {
    ...common,
    clientCAPem: rh.clientCAPem,
    authenticator: new DelegatedAuthenticator(delegated),
    authorizer: new DelegatedAuthorizer(delegated),
    readiness: [sourceCheck, { name: 'authentication', check: () => ({ ready: true, reason: 'request-header CA loaded' }) }],
  }
}

async function requestHeaderConfig(cfg: AdapterConfig, kc: ReturnType<typeof loadKubeConfig>): Promise<RequestHeaderAuthConfig> {
  const rh = cfg.auth.requestHeader
  if (rh.clientCAFile === undefined) return readExtensionApiserverAuthentication(kc)
  return {
    clientCAPem: readFileSync(rh.clientCAFile, 'utf8'),
    allowedNames: [...rh.allowedNames],
    usernameHeaders: [...rh.usernameHeaders],
    groupHeaders: [...rh.groupHeaders],
    extraHeaderPrefixes: [...rh.extraHeaderPrefixes],
  }
}
