import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseMilliValue } from '../../src/api/quantity.js'
import { startTestAdapter } from '../helpers/adapter.js'
import { call } from '../helpers/https-client.js'
import { STATIC_FALLBACK_7, WEB_POD_SIGNALS, backfilledPolicy } from '../helpers/policies.js'
import { startPrometheus } from '../helpers/prometheus.js'

// End to end: a real Prometheus backfilled with the NASA trace -> the engine and the real model -> the HTTPS
// external metrics API. Prometheus is then killed mid-test.

const prom = await startPrometheus()
t.teardown(() => prom.stop())

const dir = mkdtempSync(join(tmpdir(), 'foresight-engine-it-'))
const policies = join(dir, 'policies.yaml')
writeFileSync(policies, [
  backfilledPolicy('default', 'web', 'web', WEB_POD_SIGNALS),
  backfilledPolicy('shop', 'api', 'api', STATIC_FALLBACK_7),
  backfilledPolicy('shop', 'cart', 'cart'),
].join('\n---\n'))

const adapter = await startTestAdapter(['source.kind=prometheus', `source.url=${prom.url}`, `policies.file=${policies}`, 'engine.refreshIntervalMs=1000'])
t.teardown(() => adapter.close())

interface Item { metricLabels: Record<string, string>; timestamp: string; value: string }
async function items(ns: string, metric: string, policyName: string): Promise<{ status: number; items: Item[] }> {
  const res = await call(`${adapter.apiUrl}/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/${metric}?labelSelector=${encodeURIComponent(`foresight.dev/policy=${policyName}`)}`, { ca: undefined })
  return { status: res.status, items: res.status === 200 ? (res.json() as { items: Item[] }).items : [] }
}
const num = (q: string): number => Number(parseMilliValue(q)) / 1000

t.test('observed load, forecasts and replicas come from the backfilled history', async (t) => {
  const observed = await items('default', 'foresight_observed_load', 'web')
  t.equal(observed.status, 200)
  const o = observed.items[0]
  const at = Date.parse(o?.timestamp ?? '')
  // What Prometheus itself answers for the policy's query at that instant (its values equal the trace's, as
  // test/integration/prometheus.test.ts shows); the API must carry it through unchanged but for Quantity rounding.
  const query = 'sum(rate(http_requests_total{namespace="default",service="web"}[2m]))'
  const answer = await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${at / 1000}`)).json() as { data: { result: Array<{ value: [number, string] }> } }
  const expected = Number(answer.data.result[0]?.value[1])
  t.ok(expected > 0, `Prometheus answers ${expected} at ${o?.timestamp}`)
  t.ok(Math.abs(num(o?.value ?? 'NaN') - expected) <= 0.0005, `observed ${o?.value} vs Prometheus ${expected.toFixed(4)}`)
  const traceNow = prom.requestsAt(Math.min(at, prom.endMs)) ?? NaN
  t.ok(expected > 0 && traceNow >= 0, 'and the trace holds a sample for that minute or the one before')

  const desired = await items('default', 'foresight_desired_replicas', 'web')
  const d = desired.items[0]
  t.equal(d?.metricLabels['foresight.dev/reason'], 'Predicted')
  t.ok(num(d?.value ?? '0') >= Math.ceil(num(o?.value ?? '0') / 0.25 - 1e-9), 'never below what the observed load needs')

  const forecast = await items('default', 'foresight_forecast_load', 'web')
  const q = Object.fromEntries(forecast.items.map((i): [string, number] => [i.metricLabels.quantile ?? '', num(i.value)]))
  t.ok((q['0.1'] ?? NaN) <= (q['0.5'] ?? NaN) && (q['0.5'] ?? NaN) <= (q['0.9'] ?? NaN), `ordered quantiles ${JSON.stringify(q)}`)
  t.ok((q['0.5'] ?? 0) > expected * 0.3 && (q['0.5'] ?? Infinity) < expected * 3, 'the median forecast is of the same order as the load')

  const shop = await items('shop', 'foresight_desired_replicas', 'api')
  t.equal(shop.items[0]?.metricLabels['foresight.dev/reason'], 'Predicted', 'one day of history is enough (no week-ago context)')
  const cart = await items('shop', 'foresight_observed_load', 'cart')
  const api = await items('shop', 'foresight_observed_load', 'api')
  const ratio = num(cart.items[0]?.value ?? '0') / num(api.items[0]?.value ?? '1')
  t.ok(Math.abs(ratio - 1.5) < 0.05, `cart carries 3x and api 2x the trace (ratio ${ratio.toFixed(3)})`)
})

t.test('the outlier pod gets a high error-class anomaly score', async (t) => {
  const pods = await items('default', 'foresight_pod_anomaly_score', 'web')
  t.equal(pods.status, 200)
  const byPod = Object.fromEntries(pods.items.map((i): [string, Item] => [i.metricLabels.pod ?? '', i]))
  t.same(Object.keys(byPod).sort(), ['web-0', 'web-1', 'web-2', 'web-3'])
  t.equal(byPod['web-2']?.metricLabels.class, 'error')
  t.ok(num(byPod['web-2']?.value ?? '0') > 0.9, 'web-2 stands out')
  for (const p of ['web-0', 'web-1', 'web-3']) t.ok(num(byPod[p]?.value ?? '1') < 0.5, `${p} does not`)
  const metrics = await (await fetch(`${adapter.metricsUrl}/metrics`)).text()
  t.match(metrics, /foresight_pod_anomaly_score\{namespace="default",policy="web",pod="web-2",class="error"\} (0\.9\d*|1)$/m, 'and on /metrics for Prometheus and Grafana')
})

t.test('Prometheus killed: last good values while fresh, the static fallback after its threshold, never garbage', async (t) => {
  const before = (await items('default', 'foresight_desired_replicas', 'web')).items[0]?.value
  await prom.kill()
  const deadline = Date.now() + 20_000
  let web: Item | undefined
  let api: Item | undefined
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500))
    web = (await items('default', 'foresight_desired_replicas', 'web')).items[0]
    api = (await items('shop', 'foresight_desired_replicas', 'api')).items[0]
    if (web?.metricLabels['foresight.dev/reason'] === 'StaleValue' && api?.metricLabels['foresight.dev/reason'] === 'Fallback') break
  }
  t.equal(web?.metricLabels['foresight.dev/reason'], 'StaleValue')
  t.equal(web?.value, before, 'the last good value, unchanged')
  t.equal(api?.metricLabels['foresight.dev/reason'], 'Fallback')
  t.equal(api?.value, '7', 'the static fallback')
  const ready = await call(`${adapter.apiUrl}/readyz`, { ca: undefined })
  t.equal(ready.status, 200, 'still ready: it serves what it safely can')
  const metrics = await (await fetch(`${adapter.metricsUrl}/metrics`)).text()
  t.match(metrics, /foresight_desired_replicas\{namespace="shop",policy="api",reason="Fallback"\} 7/)
})
