import { Registry } from 'prom-client'
import t from 'tap'
import { PolicyGauges } from './gauges.js'
import { renderPolicySeries } from './series-text.js'
import type { PolicyResult } from './types.js'

const result = (name: string, over: Partial<PolicyResult> = {}): PolicyResult => ({
  policy: `default/${name}`, namespace: 'default', name, desiredReplicas: 4, reason: 'Predicted', message: '', dataTimeMs: 0, computedAtMs: 0,
  modelVersion: 't', observedLoad: 1.25, forecast: { horizonSeconds: 300, p10: 0.5, p50: 1, p90: 2 }, anomaly: { score: 0.1, class: 'load', reason: 'forecast-surprise' },
  explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 0.25, bounds: { minReplicas: 1, maxReplicas: 10 }, failures: 0, errors: [] },
  ...over,
})

// The worker renders the series itself; PolicyGauges (prom-client) renders them on the API's thread after a failed
// refresh and for an engine on that thread. /metrics must read the same either way.
t.test('renders what PolicyGauges on a registry renders, byte for byte', async (t) => {
  const results: PolicyResult[] = [
    result('web', { pods: [{ pod: 'web-0', score: 0.9, class: 'error', reason: 'r' }, { pod: 'web-1', score: 0, class: 'latency', reason: 'r' }] }),
    result('api', { reason: 'StaleValue', desiredReplicas: 7, forecast: undefined }),
    result('cold', { reason: 'ColdStart', forecast: undefined, anomaly: undefined }),
    result('none', { reason: 'NoData', desiredReplicas: undefined, observedLoad: undefined, forecast: undefined, anomaly: undefined }),
    // Label values that need escaping, and values prom-client spells its own way.
    { ...result('odd"name\\x\ny'), namespace: 'ns"1', observedLoad: Number.POSITIVE_INFINITY, forecast: { horizonSeconds: 1800, p10: Number.NaN, p50: Number.NEGATIVE_INFINITY, p90: 1e-7 } },
  ]
  const registry = new Registry()
  await new PolicyGauges(registry).publish(results.map((r) => [r.policy, r] as const))
  t.equal(await renderPolicySeries(results), await registry.metrics())
})

t.test('no results: every family with its help and type, no series', async (t) => {
  const text = await renderPolicySeries([])
  t.equal(text.split('\n').filter((l) => l.startsWith('foresight_')).length, 0)
  t.equal(text.split('\n').filter((l) => l.startsWith('# TYPE ')).length, 5)
  const registry = new Registry()
  new PolicyGauges(registry)
  t.equal(text, await registry.metrics())
})

t.test('10,000 policies: six series each, rendered in turns', async (t) => {
  const results = Array.from({ length: 10_000 }, (_, i) => result(`p${i}`))
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 0)
  const text = await renderPolicySeries(results)
  clearInterval(timer)
  t.equal(text.split('\n').filter((l) => l.startsWith('foresight_')).length, 60_000)
  t.ok(ticks > 0, 'other work ran while it rendered')
})
