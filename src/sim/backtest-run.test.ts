import t from 'tap'
import type { Window, WindowResult } from '../ports.js'
import { loadBundledModel, type LoadedModel } from '../model/runtime.js'
import { policySchema, type Policy } from '../policy/schema.js'
import { BacktestError, runBacktest, type BacktestProgress } from './backtest-run.js'

let model: LoadedModel
t.before(async () => {
  model = await loadBundledModel()
})
t.teardown(() => model.close())

const policy: Policy = policySchema.parse({
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(http_requests_total{service="web"}[2m]))', capacityPerReplica: 5 }, maxReplicas: 40 },
})

const NOW = Date.parse('2026-03-05T18:00:30Z')
const DAY_MS = 86_400_000

/** A daily cycle between ~20 and ~100 req/s with deterministic noise, known for the last `days` days only. */
function synthetic(days: number) {
  const calls: Array<{ startMs: number; endMs: number }> = []
  const fetch = async (startMs: number, endMs: number, stepSeconds: number): Promise<Window> => {
    calls.push({ startMs, endMs })
    const stepMs = stepSeconds * 1000
    const n = Math.round((endMs - startMs) / stepMs) + 1
    const values = Float64Array.from({ length: n }, (_, i) => {
      const ts = startMs + i * stepMs
      if (ts < NOW - days * DAY_MS) return NaN
      const phase = (2 * Math.PI * (ts % DAY_MS)) / DAY_MS
      return 60 - 40 * Math.cos(phase) + 8 * Math.sin(ts / 7_919) * Math.sin(ts / 1_303)
    })
    return { values, startMs, stepMs }
  }
  return { fetch, calls }
}

t.test('replays the policy through reactive, baselines and the engine', async (t) => {
  const src = synthetic(4)
  const progress: BacktestProgress[] = []
  const r = await runBacktest({ history: src.fetch, policy, sinceSeconds: 6 * 3600, model, nowMs: NOW, maxPointsPerQuery: 5000, onProgress: (p) => progress.push(p) })
  t.equal(r.period.endMs, Date.parse('2026-03-05T18:00:00Z'), 'the period ends at the last whole step')
  t.equal(r.period.endMs - r.period.startMs, 6 * 3_600_000)
  t.equal(src.calls.length, Math.ceil((8 * 1440) / 5000) + 1, 'the lookback in chunks under the point limit, then the period')
  t.ok(src.calls.every((c) => (c.endMs - c.startMs) / 60_000 + 1 <= 5000), 'no chunk above the limit')
  t.same(src.calls.at(-1), { startMs: r.period.startMs, endMs: r.period.endMs }, 'the period is read on its own')
  t.same(r.runs.map((x) => x.name), ['reactive', 'reactive@90%', 'reactive@80%', 'reactive@70%', 'reactive@60%', 'reactive@50%', 'holt-winters', 'fft-periodic', 'moving-average', 'ses', 'holt-damped', 'foresight', 'foresight@150%', 'foresight@140%', 'foresight@130%', 'foresight@120%', 'foresight@110%', 'foresight@95%', 'foresight@90%', 'foresight@85%', 'foresight@80%', 'foresight@70%'])
  // The frontier: both sweeps, Foresight's own run standing for its targetUtilization (1 by default).
  t.same(r.frontier.reactive.map((p) => p.utilization).sort(), [0.5, 0.6, 0.7, 0.8, 0.9, 1])
  t.same(r.frontier.foresight.map((p) => p.utilization).sort((a, b) => a - b), [0.7, 0.8, 0.85, 0.9, 0.95, 1, 1.1, 1.2, 1.3, 1.4, 1.5], 'from 70 % to the schema\'s bound, 150 %')
  t.equal(r.frontier.foresight.find((p) => p.utilization === 1)?.name, 'foresight')
  t.ok(r.frontier.foresight.every((p, i, a) => i === 0 || p.replicaMinutes >= (a[i - 1]?.replicaMinutes ?? 0)), 'cheapest first')
  const cheapest = r.frontier.foresight[0]
  const dearest = r.frontier.foresight.at(-1)
  t.ok(cheapest !== undefined && dearest !== undefined && dearest.replicaMinutes > cheapest.replicaMinutes, 'more headroom costs more replica-minutes')
  t.match(r.table, /^# frontier: replica-minutes against under-provisioned minutes/m)
  t.match(r.table, /^foresight\s+70%\s+\d+/m)
  t.notMatch(r.table, /^foresight@/m, 'the sweep is in the frontier, not in the comparison table')
  t.ok(r.frontierSvg.startsWith('<svg') && r.frontierSvg.includes('Foresight (spec.targetUtilization)'))
  // At 100 % the sweep's policy is the policy itself: with the same HPA it must land on the very same point.
  const again = await runBacktest({ history: src.fetch, policy: { ...policy, spec: { ...policy.spec, targetUtilization: 0.9 } }, sinceSeconds: 6 * 3600, model, nowMs: NOW, baselines: false })
  const at100 = again.frontier.foresight.find((p) => p.utilization === 1)
  t.same(at100 && [at100.name, at100.replicaMinutes, at100.underProvisionedMinutes], ['foresight@100%', r.runs.find((x) => x.name === 'foresight')?.metrics.replicaMinutes, r.runs.find((x) => x.name === 'foresight')?.metrics.underProvisionedMinutes], 'the sweep runs with the policy\'s own HPA')
  t.match(r.table, /strategy\s+under-prov min/)
  t.match(r.table, /foresight: .*% .* under-provisioned minutes than reactive/)
  // The verdict is also given at equal cost against bought headroom, not only against bare reactive.
  t.match(r.table, /foresight: at the same replica-minutes a reactive HPA with more headroom .* is under-provisioned \d+ min, foresight \d+ min/, 'the equal-cost verdict gives numbers')
  t.match(r.table, /0s for foresight, as deploy\/examples\/hpa\.yaml/)
  t.match(r.warnings, [/week-ago/], 'missing weekly context is reported, not an error')
  t.equal(r.runs[0]?.metrics.evaluatedMinutes, 360)
  t.ok(r.svg.startsWith('<svg') && r.daySvg.startsWith('<svg'))
  t.ok(progress.some((p) => p.phase === 'fetch') && progress.some((p) => p.phase === 'simulate'))
  const lastSim = progress.filter((p) => p.phase === 'simulate').at(-1)
  t.equal(lastSim?.done, lastSim?.total, 'progress reaches the end')
})

t.test('clear errors for too little history and bad arguments', async (t) => {
  const none = synthetic(0)
  await t.rejects(runBacktest({ history: none.fetch, policy, sinceSeconds: 6 * 3600, model, nowMs: NOW }), /no load samples in the last 6h for shop\/web/)
  const recent = synthetic(0.5 / 24)
  await t.rejects(runBacktest({ history: recent.fetch, policy, sinceSeconds: 6 * 3600, model, nowMs: NOW }), /too little history for shop\/web.*\d+ samples in the last 6h.*at least 60/)
  await t.rejects(runBacktest({ history: none.fetch, policy, sinceSeconds: 600, model, nowMs: NOW }), /--since must be at least 1h/)
  const failing = async (): Promise<Window> => { throw new Error('connection refused') }
  await t.rejects(runBacktest({ history: failing, policy, sinceSeconds: 3600, model, nowMs: NOW }), new BacktestError('unable to read the load history: connection refused'))
  const young = synthetic(4)
  const youngFetch = async (startMs: number, endMs: number, step: number): Promise<Window> => {
    if (endMs < NOW - 4 * DAY_MS) throw new Error('no series matched')
    return young.fetch(startMs, endMs, step)
  }
  const ok = await runBacktest({ history: youngFetch, policy, sinceSeconds: 3600, model, nowMs: NOW, baselines: false, maxPointsPerQuery: 5000 })
  t.ok(ok.warnings.some((w) => /could not be read and counts as missing: no series matched/.test(w)), 'a failed read before the period is a gap, not an error')
  const reader = { read: async () => new Map([['shop/web', { ok: false as const, error: 'query returned 2 series' }]]) }
  await t.rejects(runBacktest({ history: reader, policy, sinceSeconds: 3600, model, nowMs: NOW }), /unable to read the load history: query returned 2 series/, 'a HistoryReader is accepted as the source')
})

t.test('a reader that finds no series before the workload existed: missing history, not a failed read', async (t) => {
  const young = synthetic(4)
  const reader = {
    read: async (_ps: unknown, r: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> => new Map([['shop/web',
      r.endMs < NOW - 4 * DAY_MS ? { ok: false as const, error: 'no series for "up"', noSeries: true as const } : { ok: true as const, window: await young.fetch(r.startMs, r.endMs, r.stepSeconds) }]]),
  }
  const ok = await runBacktest({ history: reader, policy, sinceSeconds: 3600, model, nowMs: NOW, maxPointsPerQuery: 5000 })
  t.notOk(ok.warnings.some((w) => /could not be read/.test(w)), ok.warnings.join('\n'))
  t.ok(ok.warnings.some((w) => /no week-ago history/.test(w)), 'what is missing is still said')
  const fitted = Number(/fitted on the (\d+) samples before the period/.exec(ok.table)?.[1])
  t.ok(fitted > 0 && fitted <= 4 * 1440, `Holt-Winters counts the samples it had (${fitted}), not the slots before the period`)
  const never = { read: async () => new Map([['shop/web', { ok: false as const, error: 'no series for "up"', noSeries: true as const }]]) }
  await t.rejects(runBacktest({ history: never, policy, sinceSeconds: 3600, model, nowMs: NOW }), /no load samples in the last 1h for shop\/web/, 'no series at all is the clear "no samples" error')
})

t.test('without a model argument the packaged model is used', async (t) => {
  const r = await runBacktest({ history: synthetic(4).fetch, policy, sinceSeconds: 3600, nowMs: NOW, baselines: false })
  t.same(r.runs.map((x) => x.name), ['reactive', 'reactive@90%', 'reactive@80%', 'reactive@70%', 'reactive@60%', 'reactive@50%', 'foresight', 'foresight@150%', 'foresight@140%', 'foresight@130%', 'foresight@120%', 'foresight@110%', 'foresight@95%', 'foresight@90%', 'foresight@85%', 'foresight@80%', 'foresight@70%'])
  t.match(r.table, `model ${model.meta.version}`)
})
