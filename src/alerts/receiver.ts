import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { TLSSocket } from 'node:tls'
import type { Logger } from 'pino'
import { frameworkErrors, statusBody } from '../server/errors.js'
import { startHttpsServer } from '../server/https.js'
import { describePayloadError, restartRequestOf, webhookPayloadSchema, type RestartRequest } from './payload.js'

// The Alertmanager webhook receiver: a firing alert naming a pod and its ForesightPolicy asks for a restart,
// which then goes through exactly the same decision, budget and eviction path as the controller's own
// outliers. An alert is a signal, never an order: budgets, cooldowns and most-pods-failing still apply.

export type AlertOutcome =
  | { status: 'not-leader' }
  | { status: 'unknown-policy' }
  | { status: 'unknown-pod' }
  | { status: 'decided'; action: 'restart' | 'skip'; reason: string; outcome: string }

export interface AlertSink {
  requestRestart(req: RestartRequest): Promise<AlertOutcome>
  /**
   * The alert resolved: a restart it asked for and that has not happened yet is no longer wanted. False when this
   * replica does not lead (and so holds no signal to withdraw).
   */
  withdrawRestart(req: RestartRequest): Promise<boolean>
}

interface AlertReceiverOptions {
  host: string
  port: number
  certPem: string
  keyPem: string
  /** File with the bearer token (a mounted Secret); read per request so a rotated Secret is picked up. */
  bearerTokenFile?: string
  /** CA of accepted client certificates (mTLS), instead of or besides the token. */
  clientCAPem?: string
  /** Common names a client certificate must carry; empty accepts any the CA signed. */
  clientNames?: readonly string[]
  /** Where certPem and keyPem came from: re-read on rotation, like the adapter's and the webhook's. */
  certFiles?: { certFile: string; keyFile: string; reloadIntervalMs: number }
  log: Logger
  sink: AlertSink
}

export interface RunningReceiver { url: string; close(): Promise<void> }

/** Equal-length digests keep the comparison constant-time whatever the token lengths. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && expected.length > 0
}

export async function startAlertReceiver(opts: AlertReceiverOptions): Promise<RunningReceiver> {
  if (opts.bearerTokenFile === undefined && opts.clientCAPem === undefined) throw new Error('the alert receiver needs a bearer token file or a client CA')
  const log = opts.log.child({ component: 'alerts' })
  const names = opts.clientNames ?? []
  const allowedName = (socket: TLSSocket): boolean => {
    if (names.length === 0) return true
    const cn = socket.getPeerCertificate().subject?.CN
    return (Array.isArray(cn) ? cn : [cn]).some((n) => n !== undefined && names.includes(n))
  }
  const authenticated = (authorization: string | undefined, socket: TLSSocket): boolean => {
    if (opts.clientCAPem !== undefined && socket.authorized && allowedName(socket)) return true
    if (opts.bearerTokenFile === undefined || authorization === undefined) return false
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (m === null) return false
    let expected: string
    try {
      expected = readFileSync(opts.bearerTokenFile, 'utf8').trim()
    } catch (err) {
      log.error({ err }, 'cannot read the bearer token file: refusing every token')
      return false
    }
    return sameToken(m[1] ?? '', expected)
  }

  const server = await startHttpsServer({
    name: 'the alert receiver',
    log,
    listen: { host: opts.host, port: opts.port },
    listenSettings: 'alerts.host, alerts.port',
    serving: { certPem: opts.certPem, keyPem: opts.keyPem },
    ...(opts.certFiles !== undefined ? { certFiles: opts.certFiles } : {}),
    ...(opts.clientCAPem !== undefined ? { clientCAPem: opts.clientCAPem } : {}),
    bodyLimit: 4 * 1024 * 1024,
    // Every answer is a Status, also to what never reaches a route (a malformed URL or request).
    frameworkErrors,
    errorHandler: (err, req, reply) => {
      const code = err.statusCode ?? 500
      if (code >= 400 && code < 500) {
        // Fastify's own client errors: unparseable JSON, wrong content type, body too large.
        void reply.code(code).send(statusBody(code, `malformed request: ${err.message}`))
        return
      }
      req.log.error({ err }, 'alert handling failed')
      void reply.code(500).send(statusBody(500, 'Internal error occurred: the alerts could not be handled'))
    },
  }, async (app) => {
    // Authentication before the body is even parsed.
    app.addHook('onRequest', async (req, reply) => {
      if (!authenticated(req.headers.authorization, req.raw.socket as TLSSocket)) {
        log.warn({ remote: req.ip }, 'unauthenticated alert delivery refused')
        await reply.code(401).header('www-authenticate', 'Bearer').send(statusBody(401, 'Unauthorized'))
      }
    })

    app.post('/alertmanager', async (req, reply) => {
      const parsed = webhookPayloadSchema.safeParse(req.body)
      if (!parsed.success) return reply.code(400).send(statusBody(400, `invalid Alertmanager payload: ${describePayloadError(parsed.error)}`))
      const results: Array<Record<string, string>> = []
      let notLeader = false
      for (const alert of parsed.data.alerts) {
        const req2 = restartRequestOf(alert)
        const id = { alertname: alert.labels.alertname ?? '', fingerprint: alert.fingerprint ?? '' }
        if ('ignored' in req2) {
          log.info({ ...id, why: req2.ignored }, 'alert ignored')
          results.push({ ...id, result: 'ignored', reason: req2.ignored })
          continue
        }
        const { resolved, ...request } = req2
        const target = { namespace: request.namespace, policy: request.policy, pod: request.pod }
        if (resolved) {
          // A skipped restart (cooldown, budget, blocked) stays asked for a while; once resolved it must not happen.
          if (await opts.sink.withdrawRestart(request)) {
            log.info({ ...id, ...target }, 'alert resolved: restart request withdrawn')
            results.push({ ...id, ...target, result: 'withdrawn', reason: 'resolved' })
          } else {
            notLeader = true
            results.push({ ...id, ...target, result: 'ignored', reason: 'not-leader' })
          }
          continue
        }
        const out = await opts.sink.requestRestart(request)
        if (out.status === 'decided') {
          log.info({ ...id, ...target, action: out.action, reason: out.reason, outcome: out.outcome }, 'alert handled')
          results.push({ ...id, ...target, result: out.action, reason: out.reason, outcome: out.outcome })
        } else {
          if (out.status === 'not-leader') notLeader = true
          log.info({ ...id, ...target, why: out.status }, 'alert ignored')
          results.push({ ...id, ...target, result: 'ignored', reason: out.status })
        }
      }
      // Alertmanager retries a 5xx: with luck (or a Service that only routes to the leader) it reaches the leader.
      if (notLeader) return reply.code(503).send({ status: 'not-leader', results })
      return { status: 'ok', results }
    })
    app.route({
      method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/alertmanager',
      handler: async (_req, reply) => reply.code(405).header('allow', 'POST').send(statusBody(405, 'the alert receiver answers POST only')),
    })
  })
  return { url: server.url, close: () => server.close() }
}
