import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { loadModel, type LoadedModel } from '../model/runtime.js'
import { policySchema, type Policy, type PolicyInput } from '../policy/schema.js'
import { readTrace } from '../source/trace.js'
import { packageRoot } from '../util/paths.js'
import { Engine } from './engine.js'
import { EngineMetricSource } from './metric-source.js'
import type { HistoryReader, WindowResult } from './types.js'

// The engine's logic over a real trace and the real model; the history reader here is an in-memory slice of the
// trace (the real Prometheus path is proved in test/integration).

const root = packageRoot()
const trace = readTrace(join(root, 'assets/traces/nasa-http-1995-07-per-minute.csv.gz'))
const rps = Float64Array.from(trace.values, (v) => v / 60)

function policy(name: string, over: Partial<PolicyInput['spec']> = {}): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace: 'default' },
    spec: { scaleTargetRef: { name }, load: { query: `sum(rate(http_requests_total{service="${name}"}[2m]))`, capacityPerReplica: 0.25 }, maxReplicas: 60, ...over },
  })
}

class TraceReader implements HistoryReader {
  calls = 0
  failing = new Set<string>()
  /** Per policy: samples before this time are absent (a new workload). */
  bornAtMs = new Map<string, number>()
  async read(policies: readonly Policy[], range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> {
    this.calls++
    const stepMs = range.stepSeconds * 1000
    const out = new Map<string, WindowResult>()
    for (const p of policies) {
      const key = `${p.metadata.namespace}/${p.metadata.name}`
      if (this.failing.has(key)) { out.set(key, { ok: false, error: 'unable to query Prometheus: connection refused' }); continue }
      const n = Math.round((range.endMs - range.startMs) / stepMs) + 1
      const values = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const ts = range.startMs + i * stepMs
        const idx = (ts - trace.startMs) / trace.stepMs
        values[i] = ts < (this.bornAtMs.get(key) ?? -Infinity) || idx < 0 || idx >= rps.length ? NaN : rps[idx] ?? NaN
      }
      out.set(key, { ok: true, window: { values, startMs: range.startMs, stepMs } })
    }
    return out
  }
}

let model: LoadedModel
let forecasts = 0
t.before(async () => {
  const real = await loadModel(join(root, 'models/foresight-forecaster.onnx'), join(root, 'models/foresight-forecaster.json'))
  model = { meta: real.meta, close: () => real.close(), forecast: (b, c) => { forecasts++; return real.forecast(b, c) } }
})
t.teardown(() => model.close())

const log = pino({ level: 'silent' })
// Day 10 of the trace, 14:00 local: a week and a day of history behind it.
const start = trace.startMs + (9 * 1440 + 14 * 60) * 60_000

t.test('many policies: grouped reads, one batched inference, predicted replicas that lead the present', async (t) => {
  let now = start
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now })
  const policies = Array.from({ length: 25 }, (_, i) => policy(`web-${i}`))
  forecasts = 0
  await engine.refresh(policies)
  t.equal(forecasts, 1, 'one inference call for all 25 policies')
  t.equal(reader.calls, 3, 'recent, day-ago and week-ago windows: three grouped reads')
  const r = engine.result('default/web-0')
  t.equal(r?.reason, 'Predicted')
  t.ok(r?.explain.seasonalAvailable?.day && r.explain.seasonalAvailable.week, 'seasonal context found')
  const observed = r?.observedLoad ?? NaN
  t.ok(Math.abs(observed - (rps[(now - trace.startMs) / 60_000] ?? NaN)) < 1e-9, 'observed load is the newest sample')
  t.ok((r?.desiredReplicas ?? 0) >= Math.ceil(observed / 0.25 - 1e-9), 'never below what the present needs')
  t.ok((r?.forecast?.p10 ?? NaN) <= (r?.forecast?.p50 ?? NaN) && (r?.forecast?.p50 ?? NaN) <= (r?.forecast?.p90 ?? NaN))
  t.equal(r?.modelVersion, model.meta.version)

  // A morning ramp: the forecast-driven count should rise before the observed need does on at least some steps.
  now = trace.startMs + (9 * 1440 + 7 * 60) * 60_000
  const ramp = new Engine({ model, history: reader, log, now: () => now })
  let leads = 0
  for (let m = 0; m < 120; m += 5) {
    now += 5 * 60_000
    await ramp.refresh(policies.slice(0, 1))
    const x = ramp.result('default/web-0')
    t.ok((x?.desiredReplicas ?? 0) >= (x?.explain.presentReplicas ?? Infinity), 'served count covers the present')
    if ((x?.explain.forecastReplicas ?? 0) > (x?.explain.presentReplicas ?? 0)) leads++
  }
  t.ok(leads > 0, `forecast led the present on ${leads} of 24 refreshes during the morning ramp`)
})

t.test('cold start: a new workload is answered from the present at once', async (t) => {
  const reader = new TraceReader()
  reader.bornAtMs.set('default/fresh', start - 10 * 60_000)
  const engine = new Engine({ model, history: reader, log, now: () => start })
  await engine.refresh([policy('fresh')])
  const r = engine.result('default/fresh')
  t.equal(r?.reason, 'ColdStart')
  t.equal(r?.desiredReplicas, Math.max(1, Math.ceil((rps[(start - trace.startMs) / 60_000] ?? 0) / 0.25 - 1e-9)))
  t.match(r?.message, /too little history/)
})

t.test('failures: last good value while fresh, then the fallback, never a made-up number', async (t) => {
  let now = start
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now, currentReplicas: async () => 4 })
  const p = policy('flaky', { maxStalenessSeconds: 120, fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  await engine.refresh([p])
  const good = engine.result('default/flaky')?.desiredReplicas
  reader.failing.add('default/flaky')
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/flaky'), { desiredReplicas: good, reason: 'StaleValue' })
  now += 15_000
  await engine.refresh([p])
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/flaky'), { desiredReplicas: 9, reason: 'Fallback' }, 'third failure: the static fallback')
  t.match(engine.result('default/flaky')?.explain.errors, [/connection refused/])
  reader.failing.clear()
  now += 15_000
  await engine.refresh([p])
  t.equal(engine.result('default/flaky')?.reason, 'Predicted', 'recovers with the data')
})

t.test('the metric source serves cached results by namespace with their labels', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const source = new EngineMetricSource(engine)
  t.equal(source.query('default', 'foresight_desired_replicas').state, 'not-ready')
  await engine.refresh([policy('web'), policy('api')])
  source.markRefreshed()
  const desired = source.query('default', 'foresight_desired_replicas')
  t.equal(desired.state, 'ok')
  if (desired.state === 'ok') {
    t.same(desired.items.map((i) => i.labels['foresight.dev/policy']).sort(), ['api', 'web'])
    t.equal(desired.items[0]?.labels['foresight.dev/reason'], 'Predicted')
  }
  const forecast = source.query('default', 'foresight_forecast_load')
  t.equal(forecast.state === 'ok' ? forecast.items.length : 0, 6, 'three quantiles per policy')
  t.match(forecast.state === 'ok' ? forecast.items[0]?.labels : {}, { quantile: '0.1', horizon: '300s' })
  t.same(source.query('other', 'foresight_desired_replicas'), { state: 'ok', items: [] })
  t.same(source.query('default', 'foresight_nope'), { state: 'unknown-metric' })
})

t.test('explain shows the inputs and each step of the derivation', async (t) => {
  const { formatExplanation } = await import('./explain.js')
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  await engine.refresh([policy('web')])
  const r = engine.result('default/web')
  if (r === undefined) return t.fail('no result')
  const text = formatExplanation(r)
  t.match(text, /served\s+\d+\s+\(Predicted\)/)
  t.match(text, `model             ${model.meta.version}`)
  t.match(text, /recent window\s+60 samples/)
  t.match(text, /seasonal\s+day yes, week yes/)
  t.match(text, `-> ${r.explain.presentReplicas} replicas at 0.25 per replica`)
  t.match(text, `= ${r.explain.recommendedReplicas}`)
})

t.test('pod anomaly scores: the outlier pod is named with its class and served per pod', async (t) => {
  const pods = {
    read: async (ps: readonly Policy[]) => new Map(ps.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, {
      error: new Map([['web-a', 0.01], ['web-b', 0.012], ['web-c', 0.009], ['web-d', 0.45]]),
      latency: new Map([['web-a', 0.1], ['web-b', 0.11], ['web-c', 0.1], ['web-d', 0.12]]),
    }])),
  }
  const engine = new Engine({ model, history: new TraceReader(), pods, log, now: () => start })
  const p = policy('web', { podSignals: { podLabel: 'pod', errorRatioQuery: 'sum by (pod) (rate(errors[2m])) / sum by (pod) (rate(requests[2m]))', latencyQuery: 'histogram_quantile(0.9, sum by (pod, le) (rate(latency_bucket[2m])))' } })
  await engine.refresh([p, policy('plain')])
  const r = engine.result('default/web')
  const d = r?.pods?.find((x) => x.pod === 'web-d')
  t.equal(d?.class, 'error')
  t.ok((d?.score ?? 0) > 0.9, `outlier score ${d?.score}`)
  t.ok((r?.pods ?? []).filter((x) => x.pod !== 'web-d').every((x) => x.score < 0.5), 'siblings are not flagged')
  t.equal(engine.result('default/plain')?.pods, undefined, 'policies without pod signals have no pod scores')
  const source = new EngineMetricSource(engine)
  source.markRefreshed()
  const served = source.query('default', 'foresight_pod_anomaly_score')
  t.equal(served.state, 'ok')
  if (served.state === 'ok') {
    t.equal(served.items.length, 4)
    t.match(served.items.find((i) => i.labels.pod === 'web-d')?.labels, { 'foresight.dev/policy': 'web', class: 'error' })
  }
})
