/**
 * The demo's sample workload: a small fastify app instrumented with prom-client. kwok pods run no containers,
 * so this one process on the host stands in for the traffic of the whole `web` Deployment and Prometheus
 * scrapes it.
 *
 *   node --import tsx hack/demo/app.ts --port 18080      (or DEMO_APP_PORT=18080; 0 picks a free port)
 *
 * Endpoints, each bounded so that no query string can make it expensive:
 *   /compute?n=200000   CPU work: n square roots (n <= 5 000 000)
 *   /memory?kb=256&ms=50  holds a kb buffer for ms (kb <= 16 384, ms <= 1 000; at most 256 MB held in all)
 *   /slow?ms=200        answers after ms (ms <= 5 000)
 *   /error              always 500
 *   /metrics            Prometheus metrics (not counted in http_requests_total, so counts are load only)
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import { pathToFileURL } from 'node:url'

export const HOST = '127.0.0.1'
export const LIMITS = { computeN: 5_000_000, memoryKb: 16_384, memoryMs: 1_000, memoryTotalBytes: 256 * 1024 * 1024, slowMs: 5_000 } as const

export interface DemoApp {
  url: string
  port: number
  registry: Registry
  close(): Promise<void>
}

/** An integer query parameter in [0, max], its default when absent; undefined when malformed or out of range. */
function intParam(query: unknown, name: string, fallback: number, max: number): number | undefined {
  const raw = (query as Record<string, unknown> | undefined)?.[name]
  if (raw === undefined) return fallback
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return undefined
  const v = Number(raw)
  return v <= max ? v : undefined
}

function badRequest(reply: FastifyReply, name: string, max: number): { error: string } {
  void reply.code(400)
  return { error: `${name} must be an integer from 0 to ${max}` }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function buildApp(): { app: FastifyInstance; registry: Registry } {
  // A registry per app (not the global one) so that tests can run several apps in one process.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests served, by status code and route', labelNames: ['code', 'route'] as const, registers: [registry] })
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by route and status code',
    labelNames: ['route', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })

  const app = Fastify({ logger: false })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    // Scrapes would otherwise add to the load the demo's policy forecasts.
    if (route === '/metrics') return
    const labels = { code: String(reply.statusCode), route }
    requests.inc(labels)
    latency.observe(labels, reply.elapsedTime / 1000)
  })

  app.get('/compute', async (request, reply) => {
    const n = intParam(request.query, 'n', 200_000, LIMITS.computeN)
    if (n === undefined) return badRequest(reply, 'n', LIMITS.computeN)
    let acc = 0
    for (let i = 0; i < n; i++) acc += Math.sqrt(i)
    return { n, result: acc }
  })

  let heldBytes = 0
  app.get('/memory', async (request, reply) => {
    const kb = intParam(request.query, 'kb', 256, LIMITS.memoryKb)
    if (kb === undefined) return badRequest(reply, 'kb', LIMITS.memoryKb)
    const ms = intParam(request.query, 'ms', 50, LIMITS.memoryMs)
    if (ms === undefined) return badRequest(reply, 'ms', LIMITS.memoryMs)
    const bytes = kb * 1024
    // A global cap as well: many concurrent requests could otherwise add up to any amount of memory.
    if (heldBytes + bytes > LIMITS.memoryTotalBytes) {
      void reply.code(503)
      return { error: 'memory budget exhausted, try again' }
    }
    heldBytes += bytes
    try {
      const buf = Buffer.alloc(bytes, 1)
      await sleep(ms)
      return { kb, ms, checksum: buf.length > 0 ? buf[buf.length - 1] : 0 }
    } finally {
      heldBytes -= bytes
    }
  })

  app.get('/slow', async (request, reply) => {
    const ms = intParam(request.query, 'ms', 200, LIMITS.slowMs)
    if (ms === undefined) return badRequest(reply, 'ms', LIMITS.slowMs)
    await sleep(ms)
    return { ms }
  })

  app.get('/error', async (_request, reply) => {
    void reply.code(500)
    return { error: 'this endpoint always fails (on purpose)' }
  })

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', registry.contentType)
    return registry.metrics()
  })

  return { app, registry }
}

/** Starts the app on 127.0.0.1 (never anything else: it is a demo tool). Port 0 picks a free port. */
export async function startApp(port: number): Promise<DemoApp> {
  const { app, registry } = buildApp()
  await app.listen({ host: HOST, port })
  const addr = app.server.address()
  if (addr === null || typeof addr === 'string') throw new Error('the app has no TCP address')
  return { url: `http://${HOST}:${addr.port}`, port: addr.port, registry, close: () => app.close() }
}

export function parsePort(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const i = argv.indexOf('--port')
  const raw = i >= 0 ? argv[i + 1] : env.DEMO_APP_PORT ?? '18080'
  const port = Number(raw)
  if (raw === undefined || !/^\d+$/.test(raw) || port > 65535) throw new Error(`bad port "${raw ?? ''}": expected --port <0-65535> or DEMO_APP_PORT`)
  return port
}

async function main(): Promise<void> {
  const app = await startApp(parsePort(process.argv.slice(2), process.env))
  process.stdout.write(`demo app listening on ${app.url}\n`)
  const stop = (): void => {
    app.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo app: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
