import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Histogram, type Registry } from 'prom-client'

interface HttpMetricsOptions { registry: Registry; server: string }

/** Request count and latency by route pattern (bounded cardinality: never the raw URL) and status code. */
export const httpMetrics = fp(
  (app: FastifyInstance, opts: HttpMetricsOptions, done: (err?: Error) => void): void => {
    const labelNames = ['server', 'method', 'route', 'code'] as const
    const requests = (opts.registry.getSingleMetric('foresight_http_requests_total') as Counter<(typeof labelNames)[number]> | undefined)
      ?? new Counter({ name: 'foresight_http_requests_total', help: 'HTTP requests served', labelNames, registers: [opts.registry] })
    const duration = (opts.registry.getSingleMetric('foresight_http_request_duration_seconds') as Histogram<(typeof labelNames)[number]> | undefined)
      ?? new Histogram({
        name: 'foresight_http_request_duration_seconds',
        help: 'HTTP request latency',
        labelNames,
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [opts.registry],
      })
    app.addHook('onResponse', async (req, reply) => {
      const labels = { server: opts.server, method: req.method, route: req.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) }
      requests.inc(labels)
      duration.observe(labels, reply.elapsedTime / 1000)
    })
    done()
  },
  { name: 'foresight-http-metrics', fastify: '5.x' },
)
