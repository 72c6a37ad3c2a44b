import t from 'tap'
import { parse } from 'yaml'
import { formatServed } from './format.js'
import { explainServed, ExplainError, messageOf, metricPath, type Get, type RawAnswer } from './served.js'

// A fake server answering by path: what kube-apiserver (or an adapter) answers for each request explain makes.

const status = (code: number, message: string, reason = 'X'): RawAnswer => ({ status: code, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) })
const list = (items: Array<{ metricName: string; metricLabels: Record<string, string>; value: string }>): RawAnswer => ({
  status: 200,
  body: JSON.stringify({ kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items: items.map((i) => ({ ...i, timestamp: '2026-12-07T12:00:00Z', window: 60 })) }),
})
const P = { 'foresight.dev/policy': 'web' }

const policy = {
  apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'prod' },
  spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 20, remediation: { mode: 'DryRun' } },
  status: {
    desiredReplicas: 4, reason: 'Predicted', modelVersion: '0.1.0', lastRefreshTime: '2026-12-07T12:00:00Z',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Predicted', message: 'forecast peak 3.2 needs 4', lastTransitionTime: '2026-12-07T11:00:00Z' }],
  },
}

function cluster(over: Record<string, RawAnswer> = {}): { get: Get; asked: string[] } {
  const asked: string[] = []
  const answers: Record<string, RawAnswer> = {
    '/apis/foresight.dev/v1alpha1': { status: 200, body: '{}' },
    '/apis/foresight.dev/v1alpha1/namespaces/prod/foresightpolicies/web': { status: 200, body: JSON.stringify(policy) },
    [metricPath('prod', 'foresight_desired_replicas', 'web')]: list([{ metricName: 'foresight_desired_replicas', metricLabels: { ...P, 'foresight.dev/reason': 'Predicted' }, value: '4' }]),
    [metricPath('prod', 'foresight_forecast_load', 'web')]: list(['0.9', '0.1', '0.5'].map((q, i) => ({ metricName: 'foresight_forecast_load', metricLabels: { ...P, quantile: q, horizon: '300s' }, value: ['3200m', '2', '2500m'][i] ?? '' }))),
    [metricPath('prod', 'foresight_observed_load', 'web')]: list([{ metricName: 'foresight_observed_load', metricLabels: P, value: '2100m' }]),
    [metricPath('prod', 'foresight_anomaly_score', 'web')]: list([{ metricName: 'foresight_anomaly_score', metricLabels: { ...P, class: 'load', reason: 'forecast-surprise' }, value: '120m' }]),
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io': { status: 200, body: JSON.stringify({ status: { conditions: [{ type: 'Available', status: 'True' }] } }) },
    ...over,
  }
  return { asked, get: async (path) => { asked.push(path); return answers[path] ?? status(404, 'the server could not find the requested resource', 'NotFound') } }
}

t.test('what is served, with the policy status', async (t) => {
  const e = await explainServed(cluster().get, 'prod', 'web')
  t.match(e.served, {
    desiredReplicas: { value: 4, quantity: '4', reason: 'Predicted', timestamp: '2026-12-07T12:00:00Z' },
    observed: { value: 2.1 },
    anomaly: [{ value: 0.12, class: 'load', reason: 'forecast-surprise' }],
    unavailable: [],
  })
  t.same(e.served.forecast.map((f) => [f.quantile, f.value]), [['0.1', 2], ['0.5', 2.5], ['0.9', 3.2]], 'quantiles in order, quantities parsed')
  t.match(e.policy, { target: 'Deployment/web', minReplicas: 2, maxReplicas: 20, remediationMode: 'DryRun', status: { reason: 'Predicted', desiredReplicas: 4 } })
})

t.test('formats: text for reading, json and yaml carry the same whole explanation', async (t) => {
  const e = await explainServed(cluster().get, 'prod', 'web')
  const text = formatServed(e, 'text')
  t.match(text, /^policy\s+prod\/web$/m)
  t.match(text, /^served\s+4 replicas \(Predicted\) at 2026-12-07T12:00:00Z$/m)
  t.match(text, /^forecast\s+p10 2 {2}p50 2\.5 {2}p90 3\.2 at horizon 300s$/m)
  t.match(text, /^observed load\s+2\.1 at /m)
  t.match(text, /^anomaly\s+0\.12 \(load: forecast-surprise\)$/m)
  t.match(text, /^ {2}target\s+Deployment\/web, replicas 2\.\.20; remediation DryRun$/m)
  t.match(text, /^ {2}Ready\s+True \(Predicted\) since 2026-12-07T11:00:00Z: forecast peak 3\.2 needs 4$/m)
  t.same(JSON.parse(formatServed(e, 'json')), JSON.parse(JSON.stringify(e)))
  t.same(parse(formatServed(e, 'yaml')), JSON.parse(JSON.stringify(e)))
})

t.test('a policy in fallback: the reason, and the metrics not served with the adapter\'s words', async (t) => {
  const unavailable = status(503, 'foresight_forecast_load for policy web is not available: its data source is failing', 'ServiceUnavailable')
  const { get } = cluster({
    [metricPath('prod', 'foresight_desired_replicas', 'web')]: list([{ metricName: 'foresight_desired_replicas', metricLabels: { ...P, 'foresight.dev/reason': 'Fallback' }, value: '3' }]),
    [metricPath('prod', 'foresight_forecast_load', 'web')]: unavailable,
    [metricPath('prod', 'foresight_observed_load', 'web')]: unavailable,
    [metricPath('prod', 'foresight_anomaly_score', 'web')]: unavailable,
  })
  const e = await explainServed(get, 'prod', 'web')
  t.match(e.served.desiredReplicas, { value: 3, reason: 'Fallback' })
  t.equal(e.served.unavailable.length, 3)
  t.match(formatServed(e, 'text'), /^not served\s+foresight_forecast_load: foresight_forecast_load for policy web is not available: its data source is failing \(HTTP 503\)$/m)
})

const rows: Array<{ name: string; over: Record<string, RawAnswer>; error: RegExp }> = [
  { name: 'no such policy', over: { '/apis/foresight.dev/v1alpha1/namespaces/prod/foresightpolicies/web': status(404, 'foresightpolicies.foresight.dev "web" not found', 'NotFound') }, error: /^no such policy: there is no ForesightPolicy "web" in namespace "prod"$/ },
  { name: 'unauthorized', over: { '/apis/foresight.dev/v1alpha1': status(401, 'Unauthorized') }, error: /^unauthorized: the cluster did not accept the credentials/ },
  {
    name: 'forbidden to read the metric',
    over: { [metricPath('prod', 'foresight_desired_replicas', 'web')]: status(403, 'foresight_desired_replicas.external.metrics.k8s.io is forbidden: User "dev" cannot list resource "foresight_desired_replicas" in API group "external.metrics.k8s.io" in the namespace "prod"', 'Forbidden') },
    error: /^forbidden: foresight_desired_replicas\.external\.metrics\.k8s\.io is forbidden: User "dev" cannot list/,
  },
  {
    name: 'APIService unavailable',
    over: {
      [metricPath('prod', 'foresight_desired_replicas', 'web')]: { status: 503, body: 'service unavailable\n' },
      '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io': { status: 200, body: JSON.stringify({ status: { conditions: [{ type: 'Available', status: 'False', reason: 'FailedDiscoveryCheck', message: 'failing or missing response from https://10.0.0.1:6443' }] } }) },
    },
    error: /^the APIService v1beta1\.external\.metrics\.k8s\.io is not available: FailedDiscoveryCheck: failing or missing response/,
  },
  {
    name: 'no APIService at all',
    over: {
      [metricPath('prod', 'foresight_desired_replicas', 'web')]: status(404, 'the server could not find the requested resource', 'NotFound'),
      '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io': status(404, 'apiservices "v1beta1.external.metrics.k8s.io" not found', 'NotFound'),
    },
    error: /^no APIService serves external\.metrics\.k8s\.io\/v1beta1 in this cluster: is Foresight installed\?/,
  },
  {
    name: 'an adapter asked directly that serves no such policy',
    over: { '/apis/foresight.dev/v1alpha1': status(404, 'not found'), [metricPath('prod', 'foresight_desired_replicas', 'web')]: status(404, 'no series of foresight_desired_replicas matched the selector') },
    error: /^no such policy: nothing is served for foresight\.dev\/policy=web in namespace "prod" \(no series of foresight_desired_replicas matched the selector\)$/,
  },
]

t.test('clear errors', async (t) => {
  for (const row of rows) {
    const err = await explainServed(cluster(row.over).get, 'prod', 'web').then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof ExplainError, `${row.name}: an ExplainError`)
    t.match((err as Error).message, row.error, row.name)
  }
})

t.test('a policy the adapter does not serve yet is not an error when the cluster has it: the status says why', async (t) => {
  const { get } = cluster({ [metricPath('prod', 'foresight_desired_replicas', 'web')]: status(503, 'no data for policy web yet', 'ServiceUnavailable') })
  const e = await explainServed(get, 'prod', 'web')
  t.equal(e.served.desiredReplicas, undefined)
  t.match(formatServed(e, 'text'), /^served\s+nothing/m)
  t.match(e.served.unavailable, [{ metric: 'foresight_desired_replicas', code: 503, message: 'no data for policy web yet' }])
})

t.test('messageOf: a Status message, else the first line of a text body', async (t) => {
  t.equal(messageOf(status(403, 'nope')), 'nope')
  t.equal(messageOf({ status: 503, body: 'service unavailable\nmore' }), 'service unavailable')
  t.equal(messageOf({ status: 502, body: '' }), 'HTTP 502')
})
