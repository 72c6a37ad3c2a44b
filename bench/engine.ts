// npm run bench:engine: refreshes of 1,000 and 10,000 policies against a real Prometheus (Debian's, backfilled
// with promtool from the NASA trace), through the real engine and the real ONNX model. Prints the time split
// (Prometheus, features, inference), the longest event-loop stall and peak RSS.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import { Engine } from '../src/engine/engine.js'
import { loadBundledModel } from '../src/model/runtime.js'
import { policySchema, type Policy } from '../src/policy/schema.js'
import { createPrometheusSource, PrometheusSource } from '../src/prometheus/source.js'
import { serviceQuery } from './services.js'
import { stallMeter } from './stall.js'

const SERVICES = Number(process.env.BENCH_SERVICES ?? '10000')
const GROUP = Number(process.env.BENCH_GROUP_SIZE ?? '200')
const SIZES = [1000, SERVICES]
const log = pino({ level: 'warn' })
// BENCH_ADAPTIVE=0 serves the model's quantiles as they are, to measure what the per-workload adaptation costs.
const ADAPTIVE = process.env.BENCH_ADAPTIVE !== '0'

// 90 minutes of history per service: enough for the 60-step recent window. The day- and week-ago windows are
// queried like in production but find nothing, so the model runs without seasonal context.
const target = spawn(process.execPath, [join(import.meta.dirname, 'prometheus-target.js'), String(SERVICES)], { stdio: ['ignore', 'pipe', 'inherit'] })
const [line] = await once(createInterface({ input: target.stdout }), 'line') as [string]
const prom = JSON.parse(line) as { url: string; backfillSeconds: number }
const backfillSeconds = prom.backfillSeconds

const policy = (i: number): Policy => policySchema.parse({
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name: `p-${i}`, namespace: 'bench' },
  spec: { scaleTargetRef: { name: `svc-${i}` }, load: { query: serviceQuery(i), capacityPerReplica: 0.25 }, maxReplicas: 200 },
})

const model = await loadBundledModel()
const rows: string[] = []
try {
  for (const n of SIZES) {
    const { querier } = createPrometheusSource({ url: prom.url, log, maxInFlight: 4, timeoutMs: 30_000 })
    let queries = 0
    const counting = { ...querier, endpoint: querier.endpoint, breakerState: () => querier.breakerState(), queryRange: (...a: Parameters<typeof querier.queryRange>) => { queries++; return querier.queryRange(...a) } }
    const history = new PrometheusSource({ querier: counting, log, maxGroupSize: GROUP })
    const engine = new Engine({ model, history, log, adaptive: ADAPTIVE })
    const policies = Array.from({ length: n }, (_, i) => policy(i))
    for (const round of ['first', 'second']) {
      queries = 0
      // The adapter serves API requests on the same event loop: its longest stall during a refresh is the longest
      // single wait the refresh adds to a request (requests also queue behind one another between turns).
      const stalls = stallMeter()
      const started = performance.now()
      const { timings } = await engine.refresh(policies)
      const totalMs = performance.now() - started
      const stallMs = stalls.stop()
      let predicted = 0
      for (const r of engine.allResults()) if (r.reason === 'Predicted') predicted++
      rows.push([
        String(n).padStart(7), round.padEnd(7), String(queries).padStart(8),
        (timings.historyMs / 1000).toFixed(2).padStart(10), (timings.featuresMs / 1000).toFixed(2).padStart(9),
        (timings.inferenceMs / 1000).toFixed(2).padStart(10), (totalMs / 1000).toFixed(2).padStart(8),
        String(predicted).padStart(10), stallMs.toFixed(0).padStart(17), (process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(15),
      ].join(' '))
    }
  }
} finally {
  await model.close()
  target.kill('SIGTERM')
  await once(target, 'exit')
}

console.log(`\nbench:engine  ${new Date().toISOString()}  node ${process.version}  model ${model.meta.version} (${model.meta.onnx_sha256.slice(0, 12)})`)
console.log(`per-workload adaptation of the forecast: ${ADAPTIVE ? 'on' : 'off (BENCH_ADAPTIVE=0)'}`)
console.log(`Prometheus ${prom.url}: ${SERVICES} series backfilled with promtool in ${backfillSeconds.toFixed(1)} s (90 min of history each)`)
console.log(`Each refresh reads the recent window and the day- and week-ago windows of every policy (up to ${GROUP} policies per grouped query, 4 in flight)\n`)
console.log('policies  refresh  queries  prometheus  features  inference    total  predicted  longest stall (ms)  peak RSS (MiB)')
for (const r of rows) console.log(r)
console.log('\nseconds per phase; longest stall: the longest the event loop was held during the refresh (largest gap between ticks of a 2 ms interval); peak RSS is the benchmark process (model, Prometheus answers, engine state); Prometheus runs in another process')
