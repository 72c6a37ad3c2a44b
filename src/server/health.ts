import type { FastifyInstance } from 'fastify'

export interface ReadinessCheck { name: string; check: () => { ready: boolean; reason: string } }
interface HealthOptions { checks: readonly ReadinessCheck[] }

/** kube-apiserver style probes: one line per check; failure details go to the log, not the body. */
export function healthRoutes(app: FastifyInstance, opts: HealthOptions, done: (err?: Error) => void): void {
  app.get('/livez', { config: { public: true } }, async (_req, reply) => reply.type('text/plain').send('ok'))
  app.get('/readyz', { config: { public: true } }, async (req, reply) => {
    const results = opts.checks.map((c) => ({ name: c.name, ...c.check() }))
    const failed = results.filter((r) => !r.ready)
    for (const f of failed) req.log.debug({ check: f.name, reason: f.reason }, 'readiness check failing')
    const lines = results.map((r) => `[${r.ready ? '+' : '-'}]${r.name} ${r.ready ? 'ok' : 'failed'}`)
    lines.push(failed.length === 0 ? 'readyz check passed' : 'readyz check failed')
    return reply.code(failed.length === 0 ? 200 : 503).type('text/plain').send(lines.join('\n') + '\n')
  })
  done()
}
