import type { FastifyError } from 'fastify'
import type { Logger } from 'pino'
import { statusBody, type Status } from '../server/errors.js'
import { healthRoutes } from '../server/health.js'
import { startHttpsServer } from '../server/https.js'
import { ShutdownDelay } from '../server/shutdown-delay.js'
import { review, type ReviewMode } from './review.js'
import type { WebhookLookups } from './types.js'

export interface RunningWebhook {
  /** https://host:port of the listening server. */
  url: string
  close(): Promise<void>
}

const ROUTES: ReadonlyArray<[string, ReviewMode]> = [
  ['/validate/foresightpolicies', 'validate'],
  ['/mutate/foresightpolicies', 'mutate'],
  ['/validate/hpas', 'validate'],
]

/** Transport failures as a Status; the review itself never fails (see review.ts). */
function transportStatus(err: FastifyError, maxBodyBytes: number): Status {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return statusBody(413, `the AdmissionReview exceeds the ${maxBodyBytes}-byte limit`)
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return statusBody(415, 'expected an AdmissionReview as Content-Type application/json')
  const code = err.statusCode ?? 500
  if (code >= 400 && code < 500) return statusBody(400, 'the request body is not a JSON AdmissionReview')
  return statusBody(500, 'Internal error occurred: the request could not be served')
}

interface WebhookServerOptions {
  listen: { host: string; port: number }
  serving: { certPem: string; keyPem: string }
  certFiles?: { certFile: string; keyFile: string; reloadIntervalMs: number }
  maxBodyBytes: number
  shutdownDelayMs: number
  lookups: WebhookLookups
  lookupTimeoutMs: number
  log: Logger
}

/** The admission webhook's HTTPS server: the review routes, 405 on other methods, probes. */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<RunningWebhook> {
  const serverLog = opts.log.child({ server: 'webhook' })
  const delay = new ShutdownDelay(opts.shutdownDelayMs)
  const deps = { lookups: opts.lookups, lookupTimeoutMs: opts.lookupTimeoutMs, log: serverLog }
  const server = await startHttpsServer({
    name: 'webhook',
    log: serverLog,
    listen: opts.listen,
    listenSettings: 'listen.host, listen.port',
    serving: opts.serving,
    ...(opts.certFiles !== undefined ? { certFiles: opts.certFiles } : {}),
    bodyLimit: opts.maxBodyBytes,
    errorHandler: (err, req, reply) => {
      const body = transportStatus(err, opts.maxBodyBytes)
      if (body.code >= 500) req.log.error({ err }, 'webhook request failed')
      else req.log.warn({ code: body.code, reason: err.message, url: req.url }, 'webhook request rejected')
      void reply.code(body.code).type('application/json').send(body)
    },
  }, async (app) => {
    // An AdmissionReview is JSON; Fastify's built-in text/plain parser would let other bodies through to a 400.
    app.removeContentTypeParser('text/plain')
    await app.register(healthRoutes, { checks: [delay.check] })
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
  })
  return {
    url: server.url,
    async close(): Promise<void> {
      await delay.begin(serverLog)
      await server.close()
    },
  }
}
