import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import Fastify, { LogController, type FastifyError } from 'fastify'
import type { Logger } from 'pino'
import { clientErrorHandler, statusBody, type Status } from '../api/errors.js'
import { healthRoutes } from '../api/health.js'
import { ShutdownDelay } from '../api/shutdown-delay.js'
import { selfSignedServing } from '../auth/pki.js'
import { CertReloader, readServingFiles, secureContextOptions } from '../auth/tls.js'
import type { WebhookConfig } from '../config/webhook.js'
import { loadKubeConfig } from '../kube/client.js'
import { kubeLookups, unavailableLookups } from './lookups.js'
import { review, type ReviewMode } from './review.js'
import type { WebhookLookups } from './types.js'

export interface RunningWebhook {
  /** https://host:port of the listening server. */
  url: string
  close(): Promise<void>
}

export interface WebhookOverrides {
  /** Cluster lookups to use instead of the ones the config describes (tests, local runs). */
  lookups?: WebhookLookups
}

const ROUTES: ReadonlyArray<[string, ReviewMode]> = [
  ['/validate/foresightpolicies', 'validate'],
  ['/mutate/foresightpolicies', 'mutate'],
  ['/validate/hpas', 'validate'],
]

function lookupsFor(cfg: WebhookConfig): WebhookLookups {
  if (!cfg.lookups.enabled) return unavailableLookups('cluster lookups are disabled (lookups.enabled=false)')
  try {
    return kubeLookups(loadKubeConfig(cfg.kubeconfig), cfg.lookups.timeoutMs)
  } catch (err) {
    throw new Error(`unable to start webhook: ${(err as Error).message}`)
  }
}

/** Transport failures as a Status; the review itself never fails (see review.ts). */
function transportStatus(err: FastifyError, maxBodyBytes: number): Status {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return statusBody(413, `the AdmissionReview exceeds the ${maxBodyBytes}-byte limit`)
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return statusBody(415, 'expected an AdmissionReview as Content-Type application/json')
  const code = err.statusCode ?? 500
  if (code >= 400 && code < 500) return statusBody(400, 'the request body is not a JSON AdmissionReview')
  return statusBody(500, 'Internal error occurred: the request could not be served')
}

export async function startWebhook(cfg: WebhookConfig, log: Logger, overrides: WebhookOverrides = {}): Promise<RunningWebhook> {
  const lookups = overrides.lookups ?? lookupsFor(cfg)
  const certFile = cfg.tls.certFile
  const keyFile = cfg.tls.keyFile
  const serving = certFile !== undefined && keyFile !== undefined
    ? readServingFiles(certFile, keyFile)
    : selfSignedServing([...new Set([cfg.listen.host, 'localhost', '127.0.0.1'])])
  const serverLog = log.child({ server: 'webhook' })
  const app = Fastify({
    loggerInstance: serverLog,
    logController: new LogController({ disableRequestLogging: true }),
    https: secureContextOptions(serving),
    bodyLimit: cfg.maxBodyBytes,
    return503OnClosing: true,
    clientErrorHandler,
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const body = transportStatus(err, cfg.maxBodyBytes)
    if (body.code >= 500) req.log.error({ err }, 'webhook request failed')
    else req.log.warn({ code: body.code, reason: err.message, url: req.url }, 'webhook request rejected')
    void reply.code(body.code).type('application/json').send(body)
  })
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('application/json').send(statusBody(404, 'the server could not find the requested resource'))
  })
  // An AdmissionReview is JSON; Fastify's built-in text/plain parser would let other bodies through to a 400.
  app.removeContentTypeParser('text/plain')
  const delay = new ShutdownDelay(cfg.shutdownDelayMs)
  await app.register(healthRoutes, { checks: [delay.check] })
  const deps = { lookups, lookupTimeoutMs: cfg.lookups.timeoutMs, log: serverLog }
  for (const [path, mode] of ROUTES) {
    app.post(path, async (req, reply) => {
      const result = await review(req.body, mode, deps)
      return reply.code(result.httpStatus).type('application/json').send(result.body)
    })
    app.route({
      method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'],
      url: path,
      handler: async (_req, reply) => reply.code(405).header('allow', 'POST').type('application/json').send(statusBody(405, 'the webhook answers POST only')),
    })
  }

  try {
    await app.listen({ host: cfg.listen.host, port: cfg.listen.port })
  } catch (err) {
    await app.close()
    throw new Error(`unable to start webhook: ${(err as Error).message}`)
  }
  let reloader: CertReloader | undefined
  if (certFile !== undefined && keyFile !== undefined) {
    const tlsServer: TlsServer = app.server
    reloader = new CertReloader(tlsServer, { certFile, keyFile, intervalMs: cfg.tls.reloadIntervalMs, log: log.child({ component: 'tls' }) }, serving)
    reloader.start()
  }
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  serverLog.info({ url: `https://${host}:${addr.port}`, selfSigned: cfg.tls.selfSigned, lookups: cfg.lookups.enabled }, 'webhook listening')
  return {
    url: `https://${host}:${addr.port}`,
    async close(): Promise<void> {
      await delay.begin(serverLog)
      reloader?.stop()
      await app.close()
    },
  }
}
