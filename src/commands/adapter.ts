import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'
import type { AdapterConfig } from '../config/adapter-config.js'
import { allowAllAuthorizer, DelegatedAuthenticator, DelegatedAuthorizer, localAuthenticator } from '../auth/delegated.js'
import type { KeyPair } from '../auth/pki.js'
import type { RequestHeaderOptions } from '../auth/request-header.js'
import { readServingFiles } from '../server/tls.js'
import type { Engine } from '../engine/engine.js'
import { RefreshLoop } from '../engine/loop.js'
import { EngineMetricProvider } from '../engine/metric-provider.js'
import type { ServingEngine } from '../engine/types.js'
import { EngineHost } from '../engine/worker-host.js'
import { scaleReader } from '../kube/scale.js'
import { RequestHeaderSource, withParsedCA, type RequestHeaderAuthConfig, type RequestHeaderSettings } from '../auth/request-header-source.js'
import { readExtensionApiserverAuthentication } from '../kube/auth-config.js'
import { loadKubeClient } from '../kube/load.js'
import type { KubeClient } from '../kube/rest.js'
import { kubeReviewClient } from '../kube/reviews.js'
import type { LoadedModel } from '../model/runtime.js'
import { StatusWriter } from '../engine/status-writer.js'
import { ReasonEvents } from '../engine/reason-recorder.js'
import { EventRecorder } from '../kube/events.js'
import { kubeStatusClient } from '../policy/status.js'
import { FilePolicySource } from '../policy/file-source.js'
import { InformerPolicySource } from '../policy/informer-source.js'
import type { PolicySource } from '../policy/source.js'
import { packageRoot } from '../util/paths.js'
import { startAdapter, type AdapterDeps, type RunningAdapter } from '../api/api-server.js'
import { METRIC, POLICY_LABEL } from '../names.js'

// `foresight adapter`: the external metrics API over the engine, built from validated config.

// The ConfigMap read behind the request-header reload.
const REQUEST_HEADER_READ_TIMEOUT_MS = 10_000

export const bundledPolicies = (): string => join(packageRoot(), 'assets/policies/demo.yaml')

/** Builds everything the adapter needs from validated config; each failure says what could not be loaded. */
export async function buildAdapterDeps(cfg: AdapterConfig, log: Logger): Promise<AdapterDeps> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  let serving: KeyPair
  if (cfg.tls.certFile !== undefined && cfg.tls.keyFile !== undefined) {
    serving = readServingFiles(cfg.tls.certFile, cfg.tls.keyFile)
  } else {
    log.warn('no serving certificate configured: using a self-signed one (local mode only)')
    // Loaded only here: the ASN.1 libraries that write the certificate are of no use with certificate files.
    const { selfSignedServing } = await import('../auth/pki.js')
    serving = selfSignedServing(['localhost', '127.0.0.1', '::1', cfg.listen.host])
  }
  const certFiles = cfg.tls.certFile !== undefined && cfg.tls.keyFile !== undefined
    ? { certFile: cfg.tls.certFile, keyFile: cfg.tls.keyFile, reloadIntervalMs: cfg.tls.reloadIntervalMs }
    : undefined

  // Before the engine starts: a bad client CA then leaves nothing running.
  const keda = cfg.keda.enabled
    ? {
        listen: { host: cfg.keda.host, port: cfg.keda.port },
        streamIntervalMs: cfg.engine.refreshIntervalMs,
        ...(cfg.keda.clientCAFile !== undefined ? { clientCAPem: readClientCA(cfg.keda.clientCAFile) } : {}),
      }
    : undefined
  const kc = await clusterConfig(cfg, log)
  const { engine, close: closeEngine, host } = await servingEngine(cfg, log, kc)
  const policies = policySource(cfg, kc, log)
  const source = new EngineMetricProvider(engine, policies)
  const status = cfg.policies.source === 'kubernetes' && kc !== undefined ? statusWriter(kc, log) : undefined
  const loop = new RefreshLoop({ engine, source, policies: () => policies.list(), intervalMs: cfg.engine.refreshIntervalMs, registry, log: log.child({ component: 'engine' }), ...(status !== undefined ? { status } : {}), ...(host !== undefined ? { gauges: host.gauges() } : {}) })

  const background = {
    async start(): Promise<void> {
      await policies.start()
      await loop.start()
    },
    async stop(): Promise<void> {
      await loop.stop()
      await policies.close()
      await closeEngine()
    },
  }

  const common = {
    listen: cfg.listen,
    metricsListen: cfg.metrics,
    shutdownDelayMs: cfg.shutdownDelayMs,
    log,
    registry,
    source,
    serving,
    background,
    policies,
    ...(host !== undefined ? { policyMetrics: () => host.policyMetrics() } : {}),
    ...(certFiles !== undefined ? { certFiles } : {}),
    ...(keda !== undefined ? { keda } : {}),
  }
  const checks = [
    { name: 'policies', check: () => ({ ready: policies.ready(), reason: policies.ready() ? 'loaded' : 'not loaded yet' }) },
    { name: 'source', check: () => source.readiness() },
  ]

  if (cfg.auth.mode === 'local') {
    return { ...common, authenticator: localAuthenticator, authorizer: allowAllAuthorizer, readiness: checks }
  }

  // buildPrediction loaded the cluster configuration (or stopped) for kubernetes mode.
  if (kc === undefined) throw new Error('unable to start adapter: no cluster configuration')
  const rh = await requestHeaderConfig(cfg, kc)
  let initial: RequestHeaderSettings
  try {
    initial = withParsedCA(rh)
  } catch (err) {
    throw new Error(`unable to load the request-header CA: ${(err as Error).message}`, { cause: err })
  }
  const requestHeader = new RequestHeaderSource({
    read: () => requestHeaderConfig(cfg, kc),
    intervalMs: cfg.auth.requestHeader.reloadIntervalMs,
    readTimeoutMs: REQUEST_HEADER_READ_TIMEOUT_MS,
    log: log.child({ component: 'request-header' }),
  }, initial)
  const delegated = { requestHeader: (): RequestHeaderOptions => requestHeader.current(), reviews: kubeReviewClient(kc), ...cfg.auth.authorization }
  return {
    ...common,
    requestHeader,
    authenticator: new DelegatedAuthenticator(delegated),
    authorizer: new DelegatedAuthorizer(delegated),
    readiness: [...checks, { name: 'authentication', check: () => ({ ready: true, reason: 'request-header CA loaded' }) }],
  }
}

/** Status writes, and Events on a policy when its served reason changes (ReasonEvents rate-limits them). */
function statusWriter(kc: KubeClient, log: Logger): StatusWriter {
  const eventLog = log.child({ component: 'events' })
  // Rate limiting is ReasonEvents' (per policy, per reason change), so the recorder's own dedupe is off.
  const recorder = new EventRecorder({ kube: kc, log: eventLog, controller: ADAPTER_EVENT_SOURCE, instance: hostname(), dedupeWindowMs: 0 })
  const events = new ReasonEvents({ emit: (e) => recorder.emit(e), log: eventLog })
  return new StatusWriter(kubeStatusClient(kc), log.child({ component: 'status' }), undefined, events)
}

/** reportingController of the adapter's Events. */
const ADAPTER_EVENT_SOURCE = 'foresight.dev/adapter'

interface Prediction {
  model: LoadedModel
  policies: PolicySource
  engine: Engine
  kc?: KubeClient
}

/** The model, the policies and the engine, as the adapter and `foresight explain` both use them. */
export async function buildPrediction(cfg: AdapterConfig, log: Logger): Promise<Prediction> {
  // Before the model: a missing cluster configuration then leaves nothing open.
  const kc = await clusterConfig(cfg, log)
  const { buildEngine } = await import('../engine/build.js')
  const { model, engine } = await buildEngine(cfg, log, kc !== undefined ? scaleReader(kc, cfg.auth.authorization.timeoutMs) : undefined)
  return { model, policies: policySource(cfg, kc, log), engine, ...(kc !== undefined ? { kc } : {}) }
}

/** The cluster configuration in kubernetes mode. Shared with `foresight explain`, so the message names no command. */
async function clusterConfig(cfg: AdapterConfig, log: Logger): Promise<KubeClient | undefined> {
  if (cfg.auth.mode !== 'kubernetes') return undefined
  try {
    return await loadKubeClient(cfg.auth.kubeconfig, {
      setting: 'auth.kubeconfig',
      // Said once at start-up: this kubeconfig costs the memory of @kubernetes/client-node (docs/benchmarks.md).
      onFallback: (why) => log.info({ kubeconfig: cfg.auth.kubeconfig, uses: why }, 'kubeconfig credentials loaded with @kubernetes/client-node'),
    })
  } catch (err) {
    throw new Error(`unable to load the cluster configuration: ${(err as Error).message}`, { cause: err })
  }
}

function policySource(cfg: AdapterConfig, kc: KubeClient | undefined, log: Logger): PolicySource {
  const policyLog = log.child({ component: 'policies' })
  return cfg.policies.source === 'kubernetes' && kc !== undefined
    ? new InformerPolicySource({ kube: kc, log: policyLog, ...(cfg.policies.namespace !== undefined ? { namespace: cfg.policies.namespace } : {}) })
    : new FilePolicySource({ file: cfg.policies.file ?? bundledPolicies(), log: policyLog })
}

/** The engine the adapter serves from, on its own thread unless engine.thread says main, and how to stop it. */
async function servingEngine(cfg: AdapterConfig, log: Logger, kc: KubeClient | undefined): Promise<{ engine: ServingEngine; close: () => Promise<void>; host?: EngineHost }> {
  if (cfg.engine.thread === 'worker') {
    const host = await EngineHost.start(cfg, log.child({ component: 'engine' }), kc !== undefined ? scaleReader(kc, cfg.auth.authorization.timeoutMs) : undefined)
    return { engine: host, close: () => host.close(), host }
  }
  // Loaded only here: with the engine on its worker, this thread never needs onnxruntime, the model or the
  // Prometheus client, and leaving their modules unloaded keeps them out of its heap (bench:memory).
  const { buildEngine } = await import('../engine/build.js')
  const { model, engine } = await buildEngine(cfg, log, kc !== undefined ? scaleReader(kc, cfg.auth.authorization.timeoutMs) : undefined)
  return { engine, close: () => model.close() }
}

function readClientCA(file: string): string {
  const pem = readFileSync(file, 'utf8')
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`unable to load keda.clientCAFile ${file}: no PEM certificate in it`)
  return pem
}

async function requestHeaderConfig(cfg: AdapterConfig, kc: KubeClient): Promise<RequestHeaderAuthConfig> {
  const rh = cfg.auth.requestHeader
  if (rh.clientCAFile === undefined) return readExtensionApiserverAuthentication(kc, AbortSignal.timeout(REQUEST_HEADER_READ_TIMEOUT_MS))
  return {
    clientCAPem: readFileSync(rh.clientCAFile, 'utf8'),
    allowedNames: [...rh.allowedNames],
    usernameHeaders: [...rh.usernameHeaders],
    groupHeaders: [...rh.groupHeaders],
    extraHeaderPrefixes: [...rh.extraHeaderPrefixes],
  }
}

/** Builds the adapter from its config and starts it; in local mode `usage` holds the commands to try it. */
export async function runAdapter(cfg: AdapterConfig, log: Logger): Promise<RunningAdapter & { usage(): string | undefined }> {
  const deps = await buildAdapterDeps(cfg, log)
  const adapter = await startAdapter(deps)
  log.info({ api: adapter.apiUrl, metrics: adapter.metricsUrl, ...(adapter.keda !== undefined ? { keda: adapter.keda.address } : {}), authMode: cfg.auth.mode }, 'adapter started')
  return {
    ...adapter,
    usage: () => (cfg.auth.mode === 'local' ? localUsage(adapter.apiUrl, adapter.metricsUrl, deps.policies?.list()[0]?.metadata) : undefined),
  }
}

/** The copy-and-paste commands printed when the adapter starts in local mode. */
function localUsage(apiUrl: string, metricsUrl: string, policy: { namespace: string; name: string } | undefined): string {
  const base = `${apiUrl}/apis/external.metrics.k8s.io/v1beta1`
  const lines = ['', `Foresight adapter (local mode) is serving on ${apiUrl}`, 'Try:', `  curl -sk '${base}'`]
  if (policy !== undefined) {
    const selector = encodeURIComponent(`${POLICY_LABEL}=${policy.name}`)
    for (const metric of [METRIC.desiredReplicas, METRIC.forecastLoad, METRIC.observedLoad, METRIC.anomalyScore]) {
      lines.push(`  curl -sk '${base}/namespaces/${policy.namespace}/${metric}?labelSelector=${selector}'`)
    }
  }
  lines.push(`  curl -s  '${metricsUrl}/metrics'`, '')
  return lines.join('\n')
}
