import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { loadBundledModel, type LoadedModel } from '../model/runtime.js'
import { policyKey, policySchema, type Policy, type PolicyInput } from '../policy/schema.js'
import { readTrace } from '../replay/trace.js'
import { packageRoot } from '../util/paths.js'
import { Engine, INFERENCE_FAILED, INTERNAL_ERROR } from './engine.js'
import { formatExplanation } from './explanation.js'
import { METRIC, METRIC_NAMES, SERIES_LABEL_KEYS } from '../names.js'
import { EngineMetricProvider, type ListedPolicies } from './metric-provider.js'
import type { HistoryReader, PodSignals, WindowResult } from '../ports.js'

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

/** The policy source's view the metric source reads (list and lookup). */
const listedOf = (policies: readonly Policy[]): ListedPolicies => ({ list: () => policies, get: (key) => policies.find((p) => policyKey(p) === key) })

class TraceReader implements HistoryReader {
  calls = 0
  failing = new Set<string>()
  /** The whole read rejects (a reader bug or an unexpected exception), rather than answering errors per policy. */
  rejecting = false
  /** Per policy: samples before this time are absent (a new workload). */
  bornAtMs = new Map<string, number>()
  /** Per policy: samples from this time on are absent (the series stops, Prometheus answers without error). */
  diedAtMs = new Map<string, number>()
  /** Per policy: added to every sample (a load query that subtracts). */
  offset = new Map<string, number>()
  async read(policies: readonly Policy[], range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> {
    this.calls++
    if (this.rejecting) throw new TypeError("Cannot read properties of undefined (reading 'values')")
    const stepMs = range.stepSeconds * 1000
    const out = new Map<string, WindowResult>()
    for (const p of policies) {
      const key = `${p.metadata.namespace}/${p.metadata.name}`
      if (this.failing.has(key)) { out.set(key, { ok: false, error: 'unable to query Prometheus: connection refused' }); continue }
      const n = Math.round((range.endMs - range.startMs) / stepMs) + 1
      const values = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const ts = range.startMs + i * stepMs
        // Steps shorter than the trace's minute repeat its value.
        const idx = Math.floor((ts - trace.startMs) / trace.stepMs)
        const absent = ts < (this.bornAtMs.get(key) ?? -Infinity) || ts >= (this.diedAtMs.get(key) ?? Infinity)
        values[i] = absent || idx < 0 || idx >= rps.length ? NaN : (rps[idx] ?? NaN) + (this.offset.get(key) ?? 0)
      }
      out.set(key, { ok: true, window: { values, startMs: range.startMs, stepMs } })
    }
    return out
  }
}

let model: LoadedModel
let forecasts = 0
t.before(async () => {
  const real = await loadBundledModel()
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

t.test('a policy that never had a good value serves its fallback stamped with the refresh time, not 1970', async (t) => {
  const now = start + 7_000
  const reader = new TraceReader()
  reader.failing.add('default/never')
  const engine = new Engine({ model, history: reader, log, now: () => now })
  await engine.refresh([policy('never', { fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })])
  t.match(engine.result('default/never'), { desiredReplicas: 9, reason: 'Fallback', dataTimeMs: now })
  const source = new EngineMetricProvider(engine)
  source.markRefreshed()
  const served = source.query('default', 'foresight_desired_replicas')
  t.same(served.state === 'ok' ? served.items.map((i) => i.timestamp.getTime()) : served, [now])
})

t.test('a series that simply stops goes through the documented sequence: StaleValue, then Fallback', async (t) => {
  // Default staleness (120 s) and step (60 s), refreshed every 15 s; Prometheus answers, without the series.
  let now = start
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now, refreshIntervalMs: 15_000 })
  const p = policy('stops', { fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  await engine.refresh([p])
  reader.diedAtMs.set('default/stops', start + 60_000)
  const reasons: string[] = []
  for (let i = 0; i < 40; i++) {
    now += 15_000
    await engine.refresh([p])
    const r = engine.result('default/stops')
    if (r !== undefined && reasons.at(-1) !== r.reason) reasons.push(r.reason)
  }
  t.same(reasons, ['Predicted', 'StaleValue', 'Fallback'])
  t.match(engine.result('default/stops'), { desiredReplicas: 9, explain: { errors: ['load history: no sample in the last minutes'] } })
})

t.test('staleness counts from the last good refresh, so StaleValue is reached whatever stepSeconds is', async (t) => {
  let now = start + 9 * 60_000 // 9 minutes into a 10-minute step: the step-aligned data time is 9 minutes old
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now })
  const p = policy('coarse', { stepSeconds: 600, horizonSeconds: 600, historySeconds: 36_000, maxStalenessSeconds: 60, fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  await engine.refresh([p])
  const good = engine.result('default/coarse')
  t.equal(good?.reason, 'Predicted')
  reader.failing.add('default/coarse')
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/coarse'), { reason: 'StaleValue', desiredReplicas: good?.desiredReplicas, dataTimeMs: good?.dataTimeMs })
  now += 60_000
  await engine.refresh([p])
  t.match(engine.result('default/coarse'), { reason: 'Fallback', desiredReplicas: 9 }, 'then the fallback, maxStalenessSeconds after the good refresh')
})

t.test('the currentReplicas fallbacks serve the live count clamped to minReplicas..maxReplicas', async (t) => {
  const cases: Array<[string, number, 'currentReplicas' | 'currentReplicasIfHigher', number]> = [
    ['above maxReplicas', 500, 'currentReplicas', 60],
    ['above maxReplicas, if higher', 500, 'currentReplicasIfHigher', 60],
    ['below minReplicas (scaled to zero)', 0, 'currentReplicas', 3],
    ['below minReplicas, if higher', 1, 'currentReplicasIfHigher', 3],
    ['within the bounds', 12, 'currentReplicas', 12],
  ]
  for (const [name, live, behavior, want] of cases) {
    const reader = new TraceReader()
    reader.failing.add('default/live')
    const engine = new Engine({ model, history: reader, log, now: () => start, currentReplicas: async () => live })
    await engine.refresh([policy('live', { minReplicas: 3, maxReplicas: 60, fallback: { failureThreshold: 1, behavior } })])
    t.match(engine.result('default/live'), { reason: 'Fallback', desiredReplicas: want }, name)
  }
})

t.test('a load query that returns negative values fails the refresh with the reason; it is never served as a load', async (t) => {
  let now = start
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now })
  const p = policy('negative', { fallback: { failureThreshold: 2, behavior: 'static', replicas: 9 } })
  await engine.refresh([p])
  const good = engine.result('default/negative')
  t.equal(good?.reason, 'Predicted')
  reader.offset.set('default/negative', -1_000)
  now += 15_000
  await engine.refresh([p])
  const r = engine.result('default/negative')
  t.match(r, { reason: 'StaleValue', desiredReplicas: good?.desiredReplicas, observedLoad: undefined, message: /^serving the last good value after 1 failed refresh\(es\): load history: the load query returned a negative value \(-9\d\d\.\d\); a load is never negative$/ })
  t.same(r?.explain.errors.length, 1)
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/negative'), { reason: 'Fallback', desiredReplicas: 9 })
  // A brand-new policy whose load is negative from the start: no ColdStart from it either.
  reader.offset.set('default/born-negative', -1_000)
  await engine.refresh([policy('born-negative', { fallback: { failureThreshold: 3, behavior: 'static', replicas: 4 } })])
  t.match(engine.result('default/born-negative'), { reason: 'Fallback', desiredReplicas: 4, observedLoad: undefined })
})

t.test('the metric source serves cached results by namespace with their labels', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const source = new EngineMetricProvider(engine)
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

t.test('policies listed but not refreshed yet are pending, so a selector naming one is a 503, not a 404', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const listed = [policy('web'), policy('new'), { ...policy('solo'), metadata: { name: 'solo', namespace: 'shop' } }]
  const source = new EngineMetricProvider(engine, listedOf(listed))
  await engine.refresh([policy('web')])
  source.markRefreshed()
  t.match(source.query('default', 'foresight_forecast_load'), { state: 'ok', pending: [{ 'foresight.dev/policy': 'new' }], pendingLaterKeys: ['quantile', 'horizon'] })
  t.same(source.query('shop', 'foresight_desired_replicas'), { state: 'ok', items: [], pending: [{ 'foresight.dev/policy': 'solo' }], pendingLaterKeys: ['foresight.dev/reason'] },
    'a namespace where no policy has data: still "ok" with the pending ones, so the API can tell 503 from 404 by the selector')
  // Narrowed to the policies a selector names: the same answer for those, nothing about the others.
  const narrowed = (names: string[]): unknown => source.query('default', 'foresight_desired_replicas', new Set(names))
  t.match(narrowed(['web']), { state: 'ok', items: [{ labels: { 'foresight.dev/policy': 'web' } }] })
  t.notOk(Object.hasOwn(narrowed(['web']) as object, 'pending'), 'the unrefreshed policy is not mentioned when not asked for')
  t.same(narrowed(['new']), { state: 'ok', items: [], pending: [{ 'foresight.dev/policy': 'new' }], pendingLaterKeys: ['foresight.dev/reason'] })
  t.same(narrowed(['ghost', 'solo']), { state: 'ok', items: [] }, 'unknown here, or in another namespace: no series, nothing pending')
  t.match(narrowed(['web', 'new']), { state: 'ok', items: [{ labels: { 'foresight.dev/policy': 'web' } }], pending: [{ 'foresight.dev/policy': 'new' }] })
})

t.test('while a policy is served from its failure path its data series are pending (503), like a policy without data', async (t) => {
  let now = start
  const reader = new TraceReader()
  const engine = new Engine({ model, history: reader, log, now: () => now, currentReplicas: async () => 4 })
  const policies = [
    policy('healthy'),
    policy('stale', { fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } }),
    policy('fallen', { fallback: { failureThreshold: 1, behavior: 'static', replicas: 9 } }),
    policy('current', { fallback: { failureThreshold: 1, behavior: 'currentReplicas' } }),
  ]
  await engine.refresh(policies)
  for (const name of ['stale', 'fallen', 'current']) reader.failing.add(`default/${name}`)
  now += 15_000
  await engine.refresh(policies)
  t.same(policies.map((p) => engine.result(policyKey(p))?.reason), ['Predicted', 'StaleValue', 'Fallback', 'Fallback'])
  const source = new EngineMetricProvider(engine, listedOf(policies))
  source.markRefreshed()
  for (const metric of [METRIC.forecastLoad, METRIC.observedLoad, METRIC.anomalyScore]) {
    const r = source.query('default', metric)
    t.equal(r.state, 'ok', metric)
    if (r.state !== 'ok') continue
    t.same([...new Set(r.items.map((i) => i.labels['foresight.dev/policy']))], ['healthy'], `${metric}: served for the healthy policy`)
    t.same(r.pending?.map((l) => l['foresight.dev/policy']).sort(), ['current', 'fallen', 'stale'], `${metric}: pending for every failing one`)
  }
  const desired = source.query('default', METRIC.desiredReplicas)
  t.equal(desired.state === 'ok' ? desired.pending : 'not ok', undefined, 'the replica count itself is served')
})

t.test('an API answer narrowed to the policies the selector names is the one a full scan gives', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { statusErrors } = await import('../server/errors.js')
  const { externalMetricsRoutes } = await import('../api/external-metrics.js')
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const listed = [policy('web'), policy('api'), policy('new'), { ...policy('solo'), metadata: { name: 'solo', namespace: 'shop' } }]
  const narrowed = new EngineMetricProvider(engine, listedOf(listed))
  await engine.refresh([policy('web'), policy('api')])
  narrowed.markRefreshed()
  // The same source with the hint dropped: every query scans.
  const scanning = { metricNames: narrowed.metricNames, readiness: () => narrowed.readiness(), query: (ns: string, m: string) => narrowed.query(ns, m) }
  const apps = await Promise.all([narrowed, scanning].map(async (source) => {
    const app = Fastify()
    await app.register(statusErrors)
    await app.register(externalMetricsRoutes, { source })
    return app
  }))
  t.teardown(() => Promise.all(apps.map((a) => a.close())))
  const selectors = ['', 'foresight.dev/policy=web', 'foresight.dev/policy==api', 'foresight.dev/policy=new', 'foresight.dev/policy=solo', 'foresight.dev/policy=ghost',
    'foresight.dev/policy in (web,new)', 'foresight.dev/policy in (web,api),foresight.dev/policy=api', 'foresight.dev/policy=web,foresight.dev/policy=api',
    'foresight.dev/policy!=web', 'foresight.dev/policy notin (web,api)', 'foresight.dev/policy', '!foresight.dev/policy', 'foresight.dev/policy=',
    'foresight.dev/policy=new,quantile=0.9', 'foresight.dev/policy=web,quantile=0.9', 'foresight.dev/policy in (new,web),app=x', 'quantile=0.5']
  for (const ns of ['default', 'shop']) {
    for (const metric of [METRIC.desiredReplicas, METRIC.forecastLoad]) {
      for (const selector of selectors) {
        const [a, b] = await Promise.all(apps.map(async (app) => {
          const res = await app.inject({ url: `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/${metric}?labelSelector=${encodeURIComponent(selector)}` })
          const body = res.json<{ items?: Array<{ metricLabels: Record<string, string>; value: string }> }>()
          return { status: res.statusCode, items: (body.items ?? []).map((i) => JSON.stringify([i.metricLabels, i.value])).sort() }
        }))
        t.same(a, b, `${ns} ${metric} "${selector}": ${a?.status}`)
      }
    }
  }
})

t.test('the message says when minReplicas or maxReplicas, not the load, decided', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const q = (name: string): string => `sum(rate(http_requests_total{service="${name}"}[2m]))`
  await engine.refresh([
    policy('floor', { load: { query: q('floor'), capacityPerReplica: 1e6 }, minReplicas: 3 }),
    policy('ceiling', { load: { query: q('ceiling'), capacityPerReplica: 0.0001 }, maxReplicas: 4 }),
    policy('free', { load: { query: q('free'), capacityPerReplica: 0.25 }, minReplicas: 1, maxReplicas: 1000 }),
  ])
  t.match(engine.result('default/floor'), { desiredReplicas: 3, message: /needs 1 at 100% utilisation; observed .* needs 1; minReplicas 3(;|$)/ })
  t.match(engine.result('default/ceiling'), { desiredReplicas: 4, message: /; maxReplicas 4(;|$)/ })
  t.notMatch(engine.result('default/free')?.message, /minReplicas|maxReplicas/, 'nothing added when the load decided')
})

t.test('the workload anomaly score warms up, then names the check that gave it', async (t) => {
  let now = start
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => now })
  await engine.refresh([policy('web')])
  t.match(engine.result('default/web')?.anomaly, { score: 0, class: 'load', reason: 'warming-up' }, 'no forecast has met its sample yet')
  const reasons = new Set<string>()
  for (let i = 0; i < 5; i++) {
    now += 60_000
    await engine.refresh([policy('web')])
    const a = engine.result('default/web')?.anomaly
    t.ok(a !== undefined && a.score >= 0 && a.score <= 1, `score ${a?.score} in [0, 1]`)
    reasons.add(a?.reason ?? 'none')
  }
  t.ok([...reasons].every((r) => ['forecast-surprise', 'new-range', 'new-extreme', 'flat-run', 'novel-pattern'].includes(r)), [...reasons].join(', '))
})

t.test('explain shows the inputs and each step of the derivation', async (t) => {
  const { formatExplanation } = await import('./explanation.js')
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

t.test('targetUtilization: the same forecast at half the capacity per replica, the present floor unchanged', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  await engine.refresh([policy('full'), policy('half', { targetUtilization: 0.5 })])
  const full = engine.result('default/full')
  const half = engine.result('default/half')
  if (full === undefined || half === undefined) return t.fail('no result')
  const peak = full.explain.peakForecastLoad ?? NaN
  t.ok(peak > 0, 'a forecast was made')
  t.equal(half.explain.peakForecastLoad, peak, 'the knob does not change the forecast')
  t.equal(full.explain.forecastReplicas, Math.ceil(peak / 0.25 - 1e-9))
  t.equal(half.explain.forecastReplicas, Math.ceil(peak / 0.125 - 1e-9))
  t.equal(half.explain.presentReplicas, full.explain.presentReplicas, 'the present is a floor at full capacity')
  t.match(half.message, /at 50% utilisation/)
  t.match(formatExplanation(half), /at 50% target utilisation \(0\.125 per replica\)/)
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
  const source = new EngineMetricProvider(engine)
  source.markRefreshed()
  const served = source.query('default', 'foresight_pod_anomaly_score')
  t.equal(served.state, 'ok')
  if (served.state === 'ok') {
    t.equal(served.items.length, 4)
    t.match(served.items.find((i) => i.labels.pod === 'web-d')?.labels, { 'foresight.dev/policy': 'web', class: 'error' })
  }
  // SERIES_LABEL_KEYS (what a policy without data will carry, for the 503-or-404 choice) says what is rendered.
  for (const metric of METRIC_NAMES) {
    const r = source.query('default', metric)
    const keys = new Set(r.state === 'ok' ? r.items.flatMap((i) => Object.keys(i.labels)) : [])
    t.ok(keys.size > 0, `${metric} has series`)
    t.same([...keys].sort(), ['foresight.dev/policy', ...(SERIES_LABEL_KEYS[metric] ?? [])].sort(), `${metric}: label keys`)
  }
})

/** The real model, or one whose inference fails as onnxruntime does, at the flip of `broken`. */
function breakable(): { model: LoadedModel; broken: boolean } {
  const m: { model: LoadedModel; broken: boolean } = {
    broken: false,
    model: {
      meta: model.meta,
      close: () => Promise.resolve(),
      forecast: (b, c) => (m.broken ? Promise.reject(new Error('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running MatMul node')) : model.forecast(b, c)),
    } satisfies LoadedModel,
  }
  return m
}

/** A logger whose lines the test can read. */
function capture(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = []
  return { log: pino({ level: 'warn' }, { write: (line: string) => { raw.push(line) } }), lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

t.test('inference failure: the affected policies go stale then fall back, with a clear reason and a log line', async (t) => {
  let now = start
  const reader = new TraceReader()
  reader.bornAtMs.set('default/fresh', start - 10 * 60_000)
  const m = breakable()
  const logs = capture()
  const engine = new Engine({ model: m.model, history: reader, log: logs.log, now: () => now })
  const byThreshold = policy('web', { maxStalenessSeconds: 600, fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  const byStaleness = policy('api', { maxStalenessSeconds: 30, fallback: { failureThreshold: 100, behavior: 'static', replicas: 11 } })
  const policies = [byThreshold, byStaleness, policy('fresh')]
  await engine.refresh(policies)
  const web = engine.result('default/web')?.desiredReplicas
  const api = engine.result('default/api')?.desiredReplicas
  t.equal(engine.result('default/web')?.reason, 'Predicted')
  t.ok(web !== undefined && web !== 9 && api !== undefined && api !== 11, `good values ${web} and ${api} differ from the fallbacks`)

  m.broken = true
  now += 15_000
  await engine.refresh(policies)
  const r = engine.result('default/web')
  t.match(r, { desiredReplicas: web, reason: 'StaleValue', message: `serving the last good value after 1 failed refresh(es): ${INFERENCE_FAILED}` })
  t.same(r?.explain.errors, [INFERENCE_FAILED])
  t.equal(r?.forecast, undefined, 'no forecast is served')
  if (r !== undefined) t.match(formatExplanation(r), /^ {2}forecast {8}none \(no model forecast this refresh\)$/m, 'explain says so in words')
  t.notMatch(r?.message, /ONNX|RUNTIME|MatMul/, 'no onnxruntime details in what is served')
  t.match(engine.result('default/api'), { desiredReplicas: api, reason: 'StaleValue' })
  t.equal(engine.result('default/fresh')?.reason, 'ColdStart', 'a policy that needed no inference is unaffected')
  const logged = logs.lines().find((l) => l.msg === 'model inference failed: the affected policies are served as failed refreshes')
  t.match(logged, { level: 50, policies: 2, err: { message: /RUNTIME_EXCEPTION/ } }, 'the error itself is logged')

  const source = new EngineMetricProvider(engine)
  source.markRefreshed()
  const served = source.query('default', 'foresight_desired_replicas')
  t.same(served.state === 'ok' ? served.items.map((i) => [i.labels['foresight.dev/policy'], i.labels['foresight.dev/reason'], i.value]).sort() : [], [['api', 'StaleValue', api], ['fresh', 'ColdStart', engine.result('default/fresh')?.desiredReplicas], ['web', 'StaleValue', web]])
  t.same(source.query('default', 'foresight_forecast_load'), { state: 'ok', items: [], pending: [{ 'foresight.dev/policy': 'web' }, { 'foresight.dev/policy': 'api' }], pendingLaterKeys: ['quantile', 'horizon'] },
    'no forecasts from a failed inference: the failing policies are pending (503)')

  // api: the data behind its last good value is older than maxStalenessSeconds (30 s) -> its fallback.
  now += 30_000
  await engine.refresh(policies)
  t.match(engine.result('default/api'), { desiredReplicas: 11, reason: 'Fallback', message: `serving the fallback after 2 failed refresh(es): ${INFERENCE_FAILED}` })
  t.match(engine.result('default/web'), { desiredReplicas: web, reason: 'StaleValue' })
  // web: the third failed refresh reaches its failureThreshold -> its fallback.
  now += 15_000
  await engine.refresh(policies)
  t.match(engine.result('default/web'), { desiredReplicas: 9, reason: 'Fallback', message: `serving the fallback after 3 failed refresh(es): ${INFERENCE_FAILED}` })

  m.broken = false
  now += 15_000
  await engine.refresh(policies)
  t.equal(engine.result('default/web')?.reason, 'Predicted', 'recovers with the model')
  t.equal(engine.result('default/api')?.reason, 'Predicted')
  t.same(engine.result('default/web')?.explain.errors, [])
})

t.test('one policy failing inside the refresh does not stop the others, and nothing of it is half-applied', async (t) => {
  let now = start
  let podsBroken = false
  const signals = (): PodSignals => ({ latency: new Map([['web-a', 0.1], ['web-b', 0.11], ['web-c', 0.1]]) })
  const broken = Object.defineProperty({}, 'latency', { enumerable: true, get: () => { throw new TypeError('scorePods: bad input') } }) as PodSignals
  const pods = { read: async (ps: readonly Policy[]) => new Map(ps.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, podsBroken ? broken : signals()])) }
  const logs = capture()
  // The failure path asks the cluster for the current replicas; here that call fails too.
  const engine = new Engine({ model, history: new TraceReader(), pods, log: logs.log, now: () => now, currentReplicas: () => Promise.reject(new Error('scale subresource: connection reset')) })
  const bad = policy('bad', { podSignals: { podLabel: 'pod', latencyQuery: 'histogram_quantile(0.9, sum by (pod, le) (rate(latency_bucket[2m])))' } })
  const good = policy('good')
  const gone = policy('gone')
  await engine.refresh([bad, good, gone])
  const before = engine.result('default/bad')
  t.equal(before?.reason, 'Predicted')

  podsBroken = true
  now += 15_000
  await engine.refresh([bad, good])
  const r = engine.result('default/bad')
  t.match(r, { desiredReplicas: before?.desiredReplicas, reason: 'StaleValue', message: `serving the last good value after 1 failed refresh(es): ${INTERNAL_ERROR}` })
  t.same(r?.explain.errors, [INTERNAL_ERROR])
  t.equal(r?.explain.dampedReplicas, undefined, 'no derivation of the aborted computation is shown')
  t.equal(r?.pods, undefined)
  t.match(engine.result('default/good'), { reason: 'Predicted', computedAtMs: now }, 'the other policy is computed')
  t.equal(engine.result('default/gone'), undefined, 'and the refresh completed: deleted policies are dropped')
  t.match(logs.lines().find((l) => l.msg === 'unable to compute the policy result'), { policy: 'default/bad', err: { message: 'scorePods: bad input' } })

  // Every refresh fails for it; its fallback (currentReplicasIfHigher) cannot be computed since the current
  // replicas cannot be read, and the last good value goes stale: nothing is served rather than a guess.
  now += 120_000
  await engine.refresh([bad, good])
  t.match(engine.result('default/bad'), { desiredReplicas: undefined, reason: 'NoData' })
  t.match(logs.lines().find((l) => l.msg === 'unable to read the current replicas'), { policy: 'default/bad', err: { message: /connection reset/ } })
  podsBroken = false
  now += 15_000
  await engine.refresh([bad, good])
  t.equal(engine.result('default/bad')?.reason, 'Predicted', 'recovers')
  t.equal(engine.result('default/bad')?.explain.failures, 0)
})

t.test('a rejecting history or pod-signal reader is a failed step, not a failed refresh', async (t) => {
  let now = start
  const reader = new TraceReader()
  const pods = { fail: false, read: async (ps: readonly Policy[]): Promise<Map<string, PodSignals>> => {
    if (pods.fail) throw new Error('socket hang up')
    return new Map(ps.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, { error: new Map([['a', 0.01], ['b', 0.01], ['c', 0.5]]) }]))
  } }
  const engine = new Engine({ model, history: reader, pods, log, now: () => now })
  const p = policy('web', { podSignals: { podLabel: 'pod', errorRatioQuery: 'sum by (pod) (rate(errors[2m])) / sum by (pod) (rate(requests[2m]))' } })
  await engine.refresh([p])
  const good = engine.result('default/web')?.desiredReplicas
  t.equal(engine.result('default/web')?.pods?.length, 3)

  pods.fail = true
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/web'), { reason: 'Predicted', pods: undefined }, 'the replica count does not need pod signals')
  t.same(engine.result('default/web')?.explain.errors, ['pod signals: unable to read pod signals'])

  pods.fail = false
  reader.rejecting = true
  now += 15_000
  await engine.refresh([p])
  t.match(engine.result('default/web'), { desiredReplicas: good, reason: 'StaleValue', message: 'serving the last good value after 1 failed refresh(es): load history: unable to read the load history' })
})

t.test('backstop: a result no refresh has replaced for longer than maxStalenessSeconds is not served as fresh', async (t) => {
  let now = start
  const logs = capture()
  const engine = new Engine({ model, history: new TraceReader(), log: logs.log, now: () => now, refreshIntervalMs: 15_000 })
  const web = policy('web', { maxStalenessSeconds: 120, fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  const api = policy('api', { maxStalenessSeconds: 120 })
  await engine.refresh([web, api])
  now += 15_000
  await engine.refresh([web, api])
  const computedAt = now
  const good = engine.result('default/web')
  t.equal(good?.reason, 'Predicted')

  // Refreshes stop landing (a hung refresh). Up to maxStalenessSeconds plus one refresh interval (15 s) it is the
  // newest result; a healthy refresh in progress must not flip it.
  now = computedAt + 135_000
  t.equal(engine.result('default/web'), good, 'unchanged at 135 s')
  now = computedAt + 136_000
  const web2 = engine.result('default/web')
  t.match(web2, { desiredReplicas: 9, reason: 'Fallback', computedAtMs: computedAt, message: 'serving the fallback: refresh: no result for 136s, longer than maxStalenessSeconds (120s)' })
  t.equal(web2?.forecast, undefined)
  t.equal(web2?.observedLoad, undefined)
  // currentReplicasIfHigher without a known current count or replicas: nothing, which the HPA holds on.
  t.match(engine.result('default/api'), { desiredReplicas: undefined, reason: 'NoData' })
  t.same([...engine.allResults()].map((r) => [r.name, r.reason, r.desiredReplicas]).sort(), [['api', 'NoData', undefined], ['web', 'Fallback', 9]])

  const source = new EngineMetricProvider(engine)
  source.markRefreshed()
  const served = source.query('default', 'foresight_desired_replicas')
  t.same(served.state === 'ok' ? served.items.map((i) => [i.labels['foresight.dev/policy'], i.labels['foresight.dev/reason'], i.value]) : served, [['web', 'Fallback', 9]])
  const forecast = source.query('default', 'foresight_forecast_load')
  t.equal(forecast.state === 'ok' ? forecast.items.length : 0, 0, 'no forecast from the overdue refresh')

  engine.result('default/web')
  const warned = logs.lines().filter((l) => l.msg === 'policy result is overdue: no refresh has replaced it')
  t.same(warned.map((l) => [l.policy, l.reason]).sort(), [['default/api', 'NoData'], ['default/web', 'Fallback']], 'logged once per policy, not on every read')

  await engine.refresh([web, api])
  t.equal(engine.result('default/web')?.reason, 'Predicted', 'a refresh that lands serves fresh values again')
})

t.test('backstop: a refresh interval longer than maxStalenessSeconds does not make healthy results overdue', async (t) => {
  let now = start
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => now, refreshIntervalMs: 60_000 })
  const web = policy('web', { maxStalenessSeconds: 30, fallback: { failureThreshold: 3, behavior: 'static', replicas: 9 } })
  await engine.refresh([web])
  const landed = now
  now = landed + 45_000
  t.equal(engine.result('default/web')?.reason, 'Predicted', 'the first result, 45 s later: the next refresh is not due yet')
  now = landed + 90_000
  t.equal(engine.result('default/web')?.reason, 'Predicted', 'at interval + maxStalenessSeconds')
  now = landed + 91_000
  t.equal(engine.result('default/web')?.reason, 'Fallback', 'past it')
  // Age counts from when a result landed, not from when its refresh started.
  now = landed + 95_000
  await engine.refresh([web])
  t.equal(engine.result('default/web')?.reason, 'Predicted')
})

t.test('horizon: a horizon longer than the model forecasts is reported as the one used', async (t) => {
  const engine = new Engine({ model, history: new TraceReader(), log, now: () => start })
  const long = policy('long', { stepSeconds: 15, horizonSeconds: 1800 })
  await engine.refresh([long, policy('web')])
  const r = engine.result('default/long')
  t.equal(r?.reason, 'Predicted')
  t.equal(r?.explain.horizonSteps, 30)
  t.equal(r?.forecast?.horizonSeconds, 450, '30 steps of 15 s, not the 1800 s asked for')
  t.equal(r?.explain.requestedHorizonSeconds, 1800)
  t.match(r?.message, / when new pods are ready \(450s\) needs /)
  const source = new EngineMetricProvider(engine)
  source.markRefreshed()
  const forecast = source.query('default', 'foresight_forecast_load')
  const horizons = forecast.state === 'ok' ? forecast.items.map((i) => [i.labels['foresight.dev/policy'], i.labels.horizon]) : []
  t.same(horizons, [['long', '450s'], ['long', '450s'], ['long', '450s'], ['web', '300s'], ['web', '300s'], ['web', '300s']])
  if (r === undefined) return
  t.match(formatExplanation(r), 'step            15s; horizon 30 steps (450s), clamped: spec.horizonSeconds is 1800s but the model forecasts 30 steps\n')
  const web = engine.result('default/web')
  t.equal(web?.explain.requestedHorizonSeconds, undefined)
  if (web !== undefined) t.match(formatExplanation(web), 'step            60s; horizon 5 steps (300s)\n')
})
