import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import { Readable } from 'node:stream'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { clientErrorHandler, statusBody, statusErrors } from './errors.js'
import { healthRoutes, type ReadinessCheck } from './health.js'
import { ignoreBodies } from './no-bodies.js'
import { noSchemaCompilers } from './no-schemas.js'
import { CertReloader, secureContextOptions, type ServingMaterial } from './tls.js'

// The one bootstrap of every server the commands run: the HTTPS servers (the metrics API, the webhook, the alert
// receiver) with their certificate rotation, and the plain-HTTP telemetry listener (probes and /metrics). Each
// answers errors as metav1.Status objects and fails to start with "unable to start <name>: ... (settings ...)".

interface Listen { host: string; port: number }

interface HttpsServerOptions {
  /** Names the server in start-up errors: "adapter", "webhook", "the alert receiver". */
  name: string
  log: Logger
  listen: Listen
  /** The settings that move the listener, named when it cannot listen. */
  listenSettings: string
  serving: { certPem: string; keyPem: string }
  /** Re-read the serving pair from these files while serving (cert-manager rotation). */
  certFiles?: { certFile: string; keyFile: string; reloadIntervalMs: number }
  /**
   * Request client certificates signed by this CA. They are checked per request, not at the handshake: a caller
   * without one may still authenticate otherwise (a bearer token).
   */
  clientCAPem?: string
  bodyLimit?: number
  maxParamLength?: number
  frameworkErrors?: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void
  /** Replaces the Status error handler, for servers whose errors need their own words (request bodies). */
  errorHandler?: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void
}

export interface RunningServer {
  app: FastifyInstance
  /** scheme://host:port of the listener. */
  url: string
  close(): Promise<void>
}

interface HttpsServer extends RunningServer {
  reloader?: CertReloader
  /** Installs a new client CA (the request-header CA rotated) without dropping open connections. */
  setClientCA(pem: string): void
}

function urlOf(app: FastifyInstance, scheme: 'http' | 'https'): string {
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return `${scheme}://${host}:${addr.port}`
}

async function listenOrClose(app: FastifyInstance, name: string, listen: Listen, settings: string): Promise<void> {
  try {
    await app.listen({ host: listen.host, port: listen.port })
  } catch (err) {
    await app.close().catch(() => undefined)
    throw new Error(`unable to start ${name}: ${(err as Error).message} (settings ${settings})`, { cause: err })
  }
}

/** Builds an HTTPS server, lets `routes` register on it, listens, and starts the certificate rotation. */
export async function startHttpsServer(opts: HttpsServerOptions, routes: (app: FastifyInstance) => Promise<void>): Promise<HttpsServer> {
  const material = (serving: { certPem: string; keyPem: string }): ServingMaterial => ({ ...serving, ...(opts.clientCAPem !== undefined ? { clientCAPem: opts.clientCAPem } : {}) })
  const log: FastifyBaseLogger = opts.log
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    https: { ...secureContextOptions(material(opts.serving)), requestCert: opts.clientCAPem !== undefined, rejectUnauthorized: false },
    return503OnClosing: true,
    clientErrorHandler,
    schemaController: noSchemaCompilers,
    ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}),
    ...(opts.maxParamLength !== undefined ? { routerOptions: { maxParamLength: opts.maxParamLength } } : {}),
    ...(opts.frameworkErrors !== undefined ? { frameworkErrors: opts.frameworkErrors } : {}),
  })
  if (opts.errorHandler === undefined) await app.register(statusErrors)
  else {
    app.setErrorHandler(opts.errorHandler)
    app.setNotFoundHandler((_req, reply) => {
      void reply.code(404).type('application/json').send(statusBody(404, 'the server could not find the requested resource'))
    })
  }
  await routes(app)
  await listenOrClose(app, opts.name, opts.listen, opts.listenSettings)

  const tlsServer: TlsServer = app.server
  let reloader: CertReloader | undefined
  if (opts.certFiles !== undefined) {
    reloader = new CertReloader(tlsServer, {
      certFile: opts.certFiles.certFile,
      keyFile: opts.certFiles.keyFile,
      intervalMs: opts.certFiles.reloadIntervalMs,
      log: opts.log.child({ component: 'tls' }),
      ...(opts.clientCAPem !== undefined ? { clientCAPem: opts.clientCAPem } : {}),
    }, opts.serving)
    reloader.start()
  }
  const certs = reloader
  return {
    app,
    url: urlOf(app, 'https'),
    ...(reloader !== undefined ? { reloader } : {}),
    setClientCA(pem: string): void {
      if (certs !== undefined) certs.setClientCA(pem)
      else tlsServer.setSecureContext(secureContextOptions({ ...opts.serving, clientCAPem: pem }))
    },
    async close(): Promise<void> {
      reloader?.stop()
      await app.close()
    },
  }
}

interface TelemetryServerOptions {
  name: string
  log: Logger
  listen: Listen
  listenSettings: string
  registry: Registry
  checks: readonly ReadinessCheck[]
  /** Series rendered elsewhere (the engine's worker thread), appended to the registry's on /metrics. */
  extraMetrics?: () => Promise<string | Uint8Array>
}

/** The plain-HTTP listener of probes (/livez, /readyz) and the process's own metrics (/metrics). */
export async function startTelemetryServer(opts: TelemetryServerOptions): Promise<RunningServer> {
  const log: FastifyBaseLogger = opts.log
  const app = Fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }), clientErrorHandler, schemaController: noSchemaCompilers })
  await app.register(statusErrors)
  await app.register(ignoreBodies)
  await app.register(healthRoutes, { checks: opts.checks })
  const extra = opts.extraMetrics
  app.get('/metrics', async (_req, reply) => {
    const own = await opts.registry.metrics()
    const more = extra === undefined ? '' : await extra()
    reply.type(opts.registry.contentType)
    if (typeof more === 'string') return reply.send(own + more)
    // The worker's bytes as they are: joined into one string, 5 MB at 10,000 policies would be copied per scrape.
    return reply.send(Readable.from([Buffer.from(own), Buffer.from(more.buffer, more.byteOffset, more.byteLength)], { objectMode: false }))
  })
  await listenOrClose(app, opts.name, opts.listen, opts.listenSettings)
  return { app, url: urlOf(app, 'http'), close: () => app.close() }
}
