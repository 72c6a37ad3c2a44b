// A backfilled Prometheus for bench/engine.ts, built and run from its own process so the benchmark's memory
// figures are the engine's, not the backfill's.
import { startPrometheus, type ServiceSpec } from '../test/helpers/prometheus.js'

const count = Number(process.argv[2] ?? '10000')
const services: ServiceSpec[] = Array.from({ length: count }, (_, i) => ({ namespace: 'bench', service: `svc-${i}`, scale: 1 + (i % 5) }))
const started = performance.now()
const prom = await startPrometheus({ days: 90 / 1440, services, pods: [], podHours: 1, readyTimeoutMs: 120_000 })
process.stdout.write(JSON.stringify({ url: prom.url, backfillSeconds: (performance.now() - started) / 1000 }) + '\n')
process.once('SIGTERM', () => { void prom.stop().then(() => process.exit(0)) })
