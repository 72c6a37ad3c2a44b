/**
 * The cost of publishing every policy's gauges after a refresh (on the engine's worker thread; on the API's with
 * engine.thread: main): 10,000 policies, six series each, values and reasons changing between rounds as they do
 * between refreshes. Prints the wall time of each publish, the longest the event loop was held, and what rendering
 * them for one scrape costs. Run: npm run build:bench && node --max-semi-space-size=8 dist-bench/bench/gauges.js
 */
import { Registry } from 'prom-client'
import { PolicyGauges } from '../src/engine/gauges.js'
import type { PolicyResult } from '../src/engine/types.js'
import { stallMeter } from './stall.js'

const POLICIES = Number(process.env.BENCH_POLICIES ?? '10000')
const ROUNDS = 6

function result(i: number, round: number): PolicyResult {
  return {
    policy: `default/p${i}`, namespace: 'default', name: `p${i}`, desiredReplicas: 3 + ((i + round) % 5), reason: (i + round) % 7 === 0 ? 'StaleValue' : 'Predicted',
    message: '', dataTimeMs: 0, computedAtMs: 0, modelVersion: 'bench', observedLoad: 1.5 + round, forecast: { horizonSeconds: 300, p10: 1, p50: 2, p90: 3 + round },
    anomaly: { score: ((i * 7 + round) % 100) / 100, class: 'load', reason: 'forecast-surprise' },
    explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 0.25, bounds: { minReplicas: 1, maxReplicas: 50 }, failures: 0, errors: [] },
  }
}

const registry = new Registry()
const gauges = new PolicyGauges(registry)
console.log(`bench:gauges  ${new Date().toISOString()}  node ${process.version}  ${POLICIES} policies, ${ROUNDS} publishes`)
for (let round = 0; round < ROUNDS; round++) {
  const results = Array.from({ length: POLICIES }, (_, i) => [`default/p${i}`, result(i, round)] as const)
  const meter = stallMeter()
  const started = performance.now()
  await gauges.publish(results)
  const ms = performance.now() - started
  const held = meter.stop()
  // A scrape of /metrics renders every series on the thread that serves it.
  const scrapeStarted = performance.now()
  const text = await registry.metrics()
  const scrapeMs = performance.now() - scrapeStarted
  console.log(`publish ${round + 1}: ${ms.toFixed(0)} ms, longest event-loop hold ${held.toFixed(1)} ms; a scrape renders ${(text.length / 1e6).toFixed(1)} MB in ${scrapeMs.toFixed(0)} ms`)
}
