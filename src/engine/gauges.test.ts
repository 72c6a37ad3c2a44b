import { setImmediate as nextTurn } from 'node:timers/promises'
import { Registry } from 'prom-client'
import t from 'tap'
import { PolicyGauges } from './gauges.js'
import type { PolicyResult } from './types.js'

const result = (name: string, over: Partial<PolicyResult> = {}): PolicyResult => ({
  policy: `default/${name}`, namespace: 'default', name, desiredReplicas: 4, reason: 'Predicted', message: '', dataTimeMs: 0, computedAtMs: 0,
  modelVersion: 't', observedLoad: 1, forecast: { horizonSeconds: 300, p10: 0.5, p50: 1, p90: 2 }, anomaly: { score: 0.1, class: 'load', reason: 'forecast-surprise' },
  explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 0.25, bounds: { minReplicas: 1, maxReplicas: 10 }, failures: 0, errors: [] },
  ...over,
})
const entry = (r: PolicyResult): readonly [string, PolicyResult] => [r.policy, r]

/** Exposition lines of the per-policy gauges, without HELP/TYPE. */
async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('foresight_')).sort()
}

t.test('each publish leaves exactly the series of the results it was given', async (t) => {
  const registry = new Registry()
  const g = new PolicyGauges(registry)
  await g.publish([entry(result('web', { pods: [{ pod: 'web-0', score: 0.9, class: 'error', reason: 'r' }] })), entry(result('api'))])
  const first = await lines(registry)
  t.equal(first.length, 2 * 6 + 1, 'six series per policy and one pod')
  t.ok(first.includes('foresight_pod_anomaly_score{namespace="default",policy="web",pod="web-0",class="error"} 0.9'))
  t.ok(first.includes('foresight_desired_replicas{namespace="default",policy="api",reason="Predicted"} 4'))

  const cases: Array<{ name: string; results: Array<readonly [string, PolicyResult | undefined]>; present: string[]; absent: string[] }> = [
    {
      name: 'a reason change replaces the series, the pod that left loses its score',
      results: [entry(result('web', { reason: 'StaleValue', desiredReplicas: 5 })), entry(result('api'))],
      present: ['foresight_desired_replicas{namespace="default",policy="web",reason="StaleValue"} 5'],
      absent: ['policy="web",reason="Predicted"', 'pod="web-0"'],
    },
    {
      name: 'a policy without a result, and one no longer listed, lose every series',
      results: [['default/web', undefined]],
      present: [],
      absent: ['policy="web"', 'policy="api"'],
    },
    {
      name: 'a result without a replica count or forecast exports only what it has',
      results: [entry(result('api', { desiredReplicas: undefined, forecast: undefined, reason: 'ColdStart' }))],
      present: ['foresight_observed_load{namespace="default",policy="api"} 1', 'foresight_anomaly_score{namespace="default",policy="api",class="load"} 0.1'],
      absent: ['foresight_desired_replicas', 'foresight_forecast_load'],
    },
  ]
  for (const c of cases) {
    await g.publish(c.results)
    const now = await lines(registry)
    for (const p of c.present) t.ok(now.includes(p), `${c.name}: has ${p}`)
    for (const a of c.absent) t.notOk(now.some((l) => l.includes(a)), `${c.name}: no ${a}`)
  }
})

t.test('a scrape during a publish sees every series, with its old or its new value', async (t) => {
  const registry = new Registry()
  const g = new PolicyGauges(registry)
  const names = Array.from({ length: 300 }, (_, i) => `p${i}`)
  await g.publish(names.map((n) => entry(result(n, { desiredReplicas: 4 }))))
  const publishing = g.publish(names.map((n) => entry(result(n, { desiredReplicas: 7 }))))
  await nextTurn()
  const mid = (await lines(registry)).filter((l) => l.startsWith('foresight_desired_replicas'))
  await publishing
  t.equal(mid.length, names.length, 'no series missing mid-publish')
  const values = new Set(mid.map((l) => l.split(' ')[1]))
  t.same([...values].sort(), ['4', '7'], 'caught between turns: some old values, some new')
  const after = (await lines(registry)).filter((l) => l.startsWith('foresight_desired_replicas'))
  t.ok(after.every((l) => l.endsWith(' 7')) && after.length === names.length, 'all new once done')
})
