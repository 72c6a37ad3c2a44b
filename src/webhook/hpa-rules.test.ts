import t from 'tap'
import { checkHpa, foresightMetrics, hpaSchema, referencedPolicies, type Hpa, type HpaContext } from './hpa-rules.js'
import type { PolicySummary } from '../policy/findings.js'

type Metric = Record<string, unknown>

function hpa(metrics: Metric[], scaleTarget = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }): Hpa {
  return hpaSchema.parse({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: scaleTarget, minReplicas: 1, maxReplicas: 10, metrics },
  })
}

function external(name: string, selector: unknown, target: Record<string, unknown> = { type: 'AverageValue', averageValue: '1' }): Metric {
  return { type: 'External', external: { metric: { name, ...(selector !== undefined ? { selector } : {}) }, target } }
}

const named = (policy: string): unknown => ({ matchLabels: { 'foresight.dev/policy': policy } })
const webPolicy: PolicySummary = { name: 'web', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }
const found: HpaContext = { policies: new Map([['web', webPolicy]]) }
const cpu: Metric = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }

interface Case { name: string; hpa: Hpa; ctx?: HpaContext; deny?: RegExp; warn?: RegExp }

const cases: Case[] = [
  { name: 'no foresight metric: untouched', hpa: hpa([cpu, external('queue_depth', undefined, { type: 'Value', value: '30' })]), ctx: { policies: new Map() } },
  { name: 'no metrics at all', hpa: hpa([]) },
  { name: 'the recommended shape', hpa: hpa([external('foresight_desired_replicas', named('web'))]) },
  { name: 'AverageValue 1000m is 1', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'AverageValue', averageValue: '1000m' })]) },
  { name: 'In expression with one value', hpa: hpa([external('foresight_desired_replicas', { matchExpressions: [{ key: 'foresight.dev/policy', operator: 'In', values: ['web'] }] })]) },
  { name: 'label and expression agreeing', hpa: hpa([external('foresight_desired_replicas', { matchLabels: { 'foresight.dev/policy': 'web' }, matchExpressions: [{ key: 'foresight.dev/policy', operator: 'In', values: ['web'] }] })]) },
  { name: 'no selector', hpa: hpa([external('foresight_desired_replicas', undefined)]), deny: /^spec\.metrics\[0\]\.external\.metric\.selector: must name one ForesightPolicy: set matchLabels foresight\.dev\/policy/ },
  { name: 'selector on another label only', hpa: hpa([external('foresight_desired_replicas', { matchLabels: { app: 'web' } })]), deny: /must name one ForesightPolicy/ },
  { name: 'In with two values', hpa: hpa([external('foresight_desired_replicas', { matchExpressions: [{ key: 'foresight.dev/policy', operator: 'In', values: ['a', 'b'] }] })]), deny: /operator In with exactly one value/ },
  { name: 'Exists', hpa: hpa([external('foresight_desired_replicas', { matchExpressions: [{ key: 'foresight.dev/policy', operator: 'Exists' }] })]), deny: /operator In with exactly one value/ },
  { name: 'label and expression disagreeing', hpa: hpa([external('foresight_desired_replicas', { matchLabels: { 'foresight.dev/policy': 'a' }, matchExpressions: [{ key: 'foresight.dev/policy', operator: 'In', values: ['b'] }] })]), deny: /names policies a and b at once, so it matches nothing/ },
  { name: 'policy missing: warn (GitOps ordering)', hpa: hpa([external('foresight_desired_replicas', named('web'))]), ctx: { policies: new Map([['web', null]]) }, warn: /ForesightPolicy shop\/web does not exist \(yet\); the HPA keeps the current replica count/ },
  { name: 'policy lookup failed', hpa: hpa([external('foresight_desired_replicas', named('web'))]), ctx: { policies: new Map() }, warn: /could not check whether ForesightPolicy shop\/web exists/ },
  { name: 'policy forecasts for another workload', hpa: hpa([external('foresight_desired_replicas', named('web'))], { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }), warn: /ForesightPolicy web forecasts for Deployment web, but this HPA scales Deployment api/ },
  { name: 'Value target', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'Value', value: '1' })]), warn: /^spec\.metrics\[0\]\.external\.target\.type: Value multiplies foresight_desired_replicas by the ready pods .*use type AverageValue with averageValue "1"/ },
  { name: 'AverageValue 2 halves', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'AverageValue', averageValue: '2' })]), warn: /divides foresight_desired_replicas by 2 \(10 recommended gives 5 replicas\)/ },
  { name: 'AverageValue 500m doubles', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'AverageValue', averageValue: '500m' })]), warn: /by 500m \(10 recommended gives 20 replicas\)/ },
  { name: 'AverageValue not a quantity', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'AverageValue', averageValue: 'one' })]), warn: /"one" is not a quantity/ },
  { name: 'Utilization target', hpa: hpa([external('foresight_desired_replicas', named('web'), { type: 'Utilization', averageUtilization: 50 })]), warn: /Utilization does not apply/ },
  { name: 'unknown foresight metric', hpa: hpa([external('foresight_desired_replica', named('web'))]), warn: /foresight serves no metric foresight_desired_replica \(it serves foresight_desired_replicas,/ },
  { name: 'observed load with a Value target is fine', hpa: hpa([external('foresight_observed_load', named('web'), { type: 'AverageValue', averageValue: '50' })]) },
  { name: 'forecast load without quantile', hpa: hpa([external('foresight_forecast_load', named('web'), { type: 'AverageValue', averageValue: '50' })]), warn: /set matchLabels quantile/ },
  { name: 'forecast load with quantile', hpa: hpa([external('foresight_forecast_load', { matchLabels: { 'foresight.dev/policy': 'web', quantile: '0.9' } }, { type: 'AverageValue', averageValue: '50' })]) },
]

t.test('rules', async (t) => {
  for (const c of cases) {
    const r = checkHpa(c.hpa, c.ctx ?? found)
    if (c.deny !== undefined) t.match(r.denials, [c.deny], `${c.name}: denied`)
    else t.same(r.denials, [], `${c.name}: not denied`)
    if (c.warn !== undefined) t.ok(r.warnings.some((w) => c.warn?.test(w) === true), `${c.name}: warned (${r.warnings.join(' | ')})`)
    else t.same(r.warnings, [], `${c.name}: no warning`)
  }
})

t.test('foresight metrics and the policies they reference', async (t) => {
  const h = hpa([cpu, external('foresight_desired_replicas', named('a')), external('foresight_observed_load', named('a'), { type: 'AverageValue', averageValue: '9' }), external('foresight_desired_replicas', named('b')), external('foresight_desired_replicas', undefined)])
  t.same(foresightMetrics(h).map((m) => m.path), ['spec.metrics[1].external', 'spec.metrics[2].external', 'spec.metrics[3].external', 'spec.metrics[4].external'])
  t.same(referencedPolicies(h), ['a', 'b'])
})

t.test('quantities may arrive as numbers', async (t) => {
  t.same(checkHpa(hpa([external('foresight_desired_replicas', named('web'), { type: 'AverageValue', averageValue: 1 })]), found), { denials: [], warnings: [] })
})
