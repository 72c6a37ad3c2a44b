import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { authHook } from '../api/auth-hook.js'
import { discoveryRoutes } from '../api/discovery.js'
import { clientErrorHandler, frameworkErrors, MAX_PATH_SEGMENT_LENGTH, statusErrors } from '../api/errors.js'
import { ignoreBodies } from '../api/no-bodies.js'
import { externalMetricsRoutes } from '../api/external-metrics.js'
import { healthRoutes, type ReadinessCheck } from '../api/health.js'
import { openapiRoutes } from '../api/openapi.js'
import { ShutdownDelay } from '../api/shutdown-delay.js'
import { CertReloader, secureContextOptions } from '../auth/tls.js'
import type { Authenticator, Authorizer } from '../auth/types.js'
import type { MetricProvider } from '../ports.js'
import { httpMetrics } from '../telemetry/http-metrics.js'

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
  /** Per-policy series rendered elsewhere (the engine's worker thread), appended to the registry's on /metrics. */
  policyMetrics?: () => Promise<string>
}

export interface RunningAdapter {
  api: FastifyInstance
  telemetry: FastifyInstance
  apiUrl: string
  metricsUrl: string
  reloader?: CertReloader
  /** Resolves once the background work has loaded policies and finished its first refresh. */
  ready: Promise<void>
  close(): Promise<void>
}

function urlOf(app: FastifyInstance, scheme: string): string {
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `${scheme}://${host}:${addr.port}`
}

export async function startAdapter(deps: AdapterDeps): Promise<RunningAdapter> {
  const delay = new ShutdownDelay(deps.shutdownDelayMs ?? 0)
  const clientCAPem = deps.requestHeader?.current().clientCAPem
  const readiness = [...deps.readiness, delay.check]
  const apiLog: FastifyBaseLogger = deps.log.child({ server: 'api' })
  const telemetryLog: FastifyBaseLogger = deps.log.child({ server: 'telemetry' })
  const api = Fastify({
    loggerInstance: apiLog,
    logController: new LogController({ disableRequestLogging: true }),
    https: {
      ...secureContextOptions({ ...deps.serving, ...(clientCAPem !== undefined ? { clientCAPem } : {}) }),
      requestCert: clientCAPem !== undefined,
      // Unverified certificates are not refused at the handshake: such callers may still present a bearer
      // token; the request-header authenticator only trusts verified ones.
      rejectUnauthorized: false,
    },
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  })
  await api.register(statusErrors)
  await api.register(ignoreBodies)
  await api.register(httpMetrics, { registry: deps.registry, server: 'api' })
  await api.register(authHook, { authenticator: deps.authenticator, authorizer: deps.authorizer })
  await api.register(healthRoutes, { checks: readiness })
  await api.register(discoveryRoutes, { metricNames: deps.source.metricNames })
  await api.register(externalMetricsRoutes, { source: deps.source })
  await api.register(openapiRoutes)

  const telemetry = Fastify({ loggerInstance: telemetryLog, logController: new LogController({ disableRequestLogging: true }), clientErrorHandler })
  await telemetry.register(statusErrors)
  await telemetry.register(ignoreBodies)
  await telemetry.register(healthRoutes, { checks: readiness })
  telemetry.get('/metrics', async (_req, reply) => {
    const own = await deps.registry.metrics()
    return reply.type(deps.registry.contentType).send(deps.policyMetrics === undefined ? own : own + await deps.policyMetrics())
  })

  let reloader: CertReloader | undefined
  // Which server failed names the settings that move it: the API (listen.*) or probes and metrics (metrics.*).
  let settings = 'listen.host, listen.port'
  try {
    await api.listen({ host: deps.listen.host, port: deps.listen.port })
    settings = 'metrics.host, metrics.port'
    await telemetry.listen({ host: deps.metricsListen.host, port: deps.metricsListen.port })
  } catch (err) {
    await Promise.allSettled([api.close(), telemetry.close()])
    throw new Error(`unable to start adapter: ${(err as Error).message} (settings ${settings})`)
  }
  if (deps.certFiles !== undefined) {
    const tlsServer: TlsServer = api.server
    reloader = new CertReloader(tlsServer, {
      certFile: deps.certFiles.certFile,
      keyFile: deps.certFiles.keyFile,
      intervalMs: deps.certFiles.reloadIntervalMs,
      log: deps.log.child({ component: 'tls' }),
      ...(clientCAPem !== undefined ? { clientCAPem } : {}),
    }, deps.serving)
    reloader.start()
  }
  if (deps.requestHeader !== undefined) {
    const certs = reloader
    const tlsServer: TlsServer = api.server
    deps.requestHeader.start((clientCAPem) => {
      if (certs !== undefined) certs.setClientCA(clientCAPem)
      else tlsServer.setSecureContext(secureContextOptions({ ...deps.serving, clientCAPem }))
    })
  }
  // The servers answer (probes, 503 on data) while the first refresh runs; a failing start stops the process.
  const ready = deps.background?.start() ?? Promise.resolve()
  ready.catch(() => undefined)
  return {
    api,
    telemetry,
    ready,
    apiUrl: urlOf(api, 'https'),
    metricsUrl: urlOf(telemetry, 'http'),
    ...(reloader !== undefined ? { reloader } : {}),
    async close(): Promise<void> {
      await delay.begin(deps.log)
      reloader?.stop()
      deps.requestHeader?.stop()
      await Promise.all([api.close(), telemetry.close()])
      await ready.catch(() => undefined)
      await deps.background?.stop()
    },
  }
}
