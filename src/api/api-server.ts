import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { authHook } from './auth-hook.js'
import { discoveryRoutes } from './discovery.js'
import { frameworkErrors, MAX_PATH_SEGMENT_LENGTH } from '../server/errors.js'
import { ignoreBodies } from '../server/no-bodies.js'
import { externalMetricsRoutes } from './external-metrics.js'
import { healthRoutes, type ReadinessCheck } from '../server/health.js'
import { openapiRoutes } from './openapi.js'
import { ShutdownDelay } from '../server/shutdown-delay.js'
import { startHttpsServer, startTelemetryServer, type RunningServer } from '../server/https.js'
import type { CertReloader } from '../server/tls.js'
import type { Authenticator, Authorizer } from '../auth/types.js'
import type { MetricProvider } from '../ports.js'
import { httpMetrics } from '../telemetry/http-metrics.js'
import type { RunningKedaScaler } from '../keda/grpc-server.js'

export interface AdapterDeps {
  listen: { host: string; port: number }
  metricsListen: { host: string; port: number }
  log: Logger
  registry: Registry
  source: MetricProvider
  authenticator: Authenticator
  authorizer: Authorizer
  serving: { certPem: string; keyPem: string }
  /**
   * The request-header settings: when set, client certificates are requested and verified against its current CA,
   * which it re-reads while serving (started with the TLS server's way to install a new one).
   */
  requestHeader?: { current(): { clientCAPem: string }; start(installClientCA: (pem: string) => void): void; stop(): void }
  /** Rotate the serving certificate from these files. */
  certFiles?: { certFile: string; keyFile: string; reloadIntervalMs: number }
  readiness: readonly ReadinessCheck[]
  /** How long close() keeps answering, readiness failing, before it closes the servers. */
  shutdownDelayMs?: number
  /** Work that runs beside the servers: loading policies, the refresh loop. */
  background?: { start(): Promise<void>; stop(): Promise<void> }
  policies?: { list(): ReadonlyArray<{ metadata: { namespace: string; name: string } }> }
  /** KEDA's external scaler over the same results, on its own gRPC listener (keda.enabled). */
  keda?: { listen: { host: string; port: number }; clientCAPem?: string; streamIntervalMs: number }
  /** Per-policy series rendered elsewhere (the engine's worker thread), appended to the registry's on /metrics. */
  policyMetrics?: () => Promise<string | Uint8Array>
}

export interface RunningAdapter {
  api: FastifyInstance
  telemetry: FastifyInstance
  apiUrl: string
  metricsUrl: string
  reloader?: CertReloader
  /** The KEDA external scaler, when deps.keda is set. */
  keda?: RunningKedaScaler
  /** Resolves once the background work has loaded policies and finished its first refresh. */
  ready: Promise<void>
  close(): Promise<void>
}

/** The external metrics API on its HTTPS listener, and the telemetry listener beside it. */
export async function startAdapter(deps: AdapterDeps): Promise<RunningAdapter> {
  const delay = new ShutdownDelay(deps.shutdownDelayMs ?? 0)
  const clientCAPem = deps.requestHeader?.current().clientCAPem
  const readiness = [...deps.readiness, delay.check]
  const api = await startHttpsServer({
    name: 'adapter',
    log: deps.log.child({ server: 'api' }),
    listen: deps.listen,
    listenSettings: 'listen.host, listen.port',
    serving: deps.serving,
    ...(deps.certFiles !== undefined ? { certFiles: deps.certFiles } : {}),
    ...(clientCAPem !== undefined ? { clientCAPem } : {}),
    maxParamLength: MAX_PATH_SEGMENT_LENGTH,
    frameworkErrors,
  }, async (app) => {
    await app.register(ignoreBodies)
    await app.register(httpMetrics, { registry: deps.registry, server: 'api' })
    await app.register(authHook, { authenticator: deps.authenticator, authorizer: deps.authorizer })
    await app.register(healthRoutes, { checks: readiness })
    await app.register(discoveryRoutes, { metricNames: deps.source.metricNames })
    await app.register(externalMetricsRoutes, { source: deps.source })
    await app.register(openapiRoutes)
  })
  let telemetry: RunningServer
  try {
    telemetry = await startTelemetryServer({
      name: 'adapter',
      log: deps.log.child({ server: 'telemetry' }),
      listen: deps.metricsListen,
      listenSettings: 'metrics.host, metrics.port',
      registry: deps.registry,
      checks: readiness,
      ...(deps.policyMetrics !== undefined ? { extraMetrics: deps.policyMetrics } : {}),
    })
  } catch (err) {
    await api.close()
    throw err
  }
  let keda: RunningKedaScaler | undefined
  if (deps.keda !== undefined) {
    try {
      // Loaded only with KEDA on: gRPC and its protobuf loader are a few MiB the other adapters do not carry.
      const { startKedaScaler } = await import('../keda/grpc-server.js')
      keda = await startKedaScaler({
        ...deps.keda,
        source: deps.source,
        log: deps.log.child({ server: 'keda' }),
        serving: deps.serving,
        ...(deps.certFiles !== undefined ? { certFiles: deps.certFiles } : {}),
      })
    } catch (err) {
      await Promise.all([api.close(), telemetry.close()])
      throw err
    }
  }
  deps.requestHeader?.start((pem) => api.setClientCA(pem))
  // The servers answer (probes, 503 on data) while the first refresh runs; a failing start stops the process.
  const ready = deps.background?.start() ?? Promise.resolve()
  ready.catch(() => undefined)
  return {
    api: api.app,
    telemetry: telemetry.app,
    ready,
    apiUrl: api.url,
    metricsUrl: telemetry.url,
    ...(api.reloader !== undefined ? { reloader: api.reloader } : {}),
    ...(keda !== undefined ? { keda } : {}),
    async close(): Promise<void> {
      await delay.begin(deps.log)
      deps.requestHeader?.stop()
      await Promise.all([api.close(), telemetry.close(), keda?.close()])
      await ready.catch(() => undefined)
      await deps.background?.stop()
    },
  }
}
