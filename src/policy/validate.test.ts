import t from 'tap'
import { parsePolicy, parseServablePolicy } from './validate.js'

const base = {
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name: 'demo', namespace: 'shop' },
  spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(http_requests_total[2m]))', capacityPerReplica: 50 }, maxReplicas: 20 },
}
const withSpec = (extra: Record<string, unknown>): unknown => ({ ...base, spec: { ...base.spec, ...extra } })

t.test('a minimal policy is valid and gets every default', async (t) => {
  const r = parsePolicy(base)
  if (!r.ok) return t.fail(r.errors.join('; '))
  t.match(r.policy.spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    targetUtilization: 1, horizonSeconds: 300, minReplicas: 1, maxReplicas: 20,
    scaleDown: { stabilizationSeconds: 300, maxDecreasePercentPerMinute: 100 },
    remediation: { mode: 'DryRun', maxRestartsPerHour: 3 },
    fallback: { behavior: 'currentReplicasIfHigher', failureThreshold: 3 },
  })
  t.equal(r.policy.spec.podSignals, undefined)
})

t.test('targetUtilization above 1 (provision below the p90) is valid up to its bound, 1.5', async (t) => {
  for (const u of [1.2, 1.25, 1.5]) {
    const r = parsePolicy(withSpec({ targetUtilization: u }))
    t.equal(r.ok && r.policy.spec.targetUtilization, u, String(u))
  }
})

t.test('namespace defaults to default (local files often leave it out)', async (t) => {
  const r = parsePolicy({ ...base, metadata: { name: 'demo' } })
  t.equal(r.ok && r.policy.metadata.namespace, 'default')
})

t.test('cluster metadata such as managedFields is kept, not rejected', async (t) => {
  const r = parsePolicy({ ...base, metadata: { ...base.metadata, uid: 'u1', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z' } })
  t.ok(r.ok)
})

const invalid: Array<[string, unknown, string[]]> = [
  ['not an object', 'policy', ['(root): Invalid input: expected object, received string']],
  ['null', null, ['(root): Invalid input: expected object, received null']],
  ['empty object', {}, ['apiVersion: Invalid input: expected "foresight.dev/v1alpha1"', 'kind: Invalid input: expected "ForesightPolicy"', 'metadata: Required', 'spec: Required']],
  ['wrong version', { ...base, apiVersion: 'foresight.dev/v1' }, ['apiVersion: Invalid input: expected "foresight.dev/v1alpha1"']],
  ['missing maxReplicas', { ...base, spec: { scaleTargetRef: { name: 'web' }, load: base.spec.load } }, ['spec.maxReplicas: Required']],
  ['maxReplicas 0', withSpec({ maxReplicas: 0 }), ['spec.maxReplicas: Too small: expected number to be >=1', 'spec.minReplicas: must not exceed maxReplicas']],
  ['targetUtilization 0', withSpec({ targetUtilization: 0 }), ['spec.targetUtilization: Too small: expected number to be >0']],
  ['targetUtilization above its bound 1.5', withSpec({ targetUtilization: 1.51 }), ['spec.targetUtilization: Too big: expected number to be <=1.5']],
  ['targetUtilization as a percentage', withSpec({ targetUtilization: 80 }), ['spec.targetUtilization: Too big: expected number to be <=1.5']],
  ['targetUtilization as a percentage string', withSpec({ targetUtilization: '80%' }), ['spec.targetUtilization: Invalid input: expected number, received string']],
  ['min above max', withSpec({ minReplicas: 30 }), ['spec.minReplicas: must not exceed maxReplicas']],
  ['unknown spec field', withSpec({ maxReplica: 3 }), ['spec.maxReplica: unknown field']],
  ['unknown nested fields', withSpec({ scaleDown: { window: 1, rate: 2 } }), ['spec.scaleDown.window: unknown field', 'spec.scaleDown.rate: unknown field']],
  ['capacity not positive', withSpec({ load: { query: 'up', capacityPerReplica: 0 } }), ['spec.load.capacityPerReplica: Too small: expected number to be >0']],
  ['empty query', withSpec({ load: { query: '', capacityPerReplica: 1 } }), ['spec.load.query: Too small: expected string to have >=1 characters']],
  ['fractional horizon', withSpec({ horizonSeconds: 90.5 }), ['spec.horizonSeconds: Invalid input: expected int, received number']],
  ['horizon too long', withSpec({ horizonSeconds: 7200 }), ['spec.horizonSeconds: Too big: expected number to be <=1800']],
  ['unknown kind', withSpec({ scaleTargetRef: { name: 'web', kind: 'Job' } }), ['spec.scaleTargetRef.kind: Invalid option: expected one of "Deployment"|"StatefulSet"|"ReplicaSet"']],
  ['YAML 1.1 Off read as false', withSpec({ remediation: { mode: false } }), ['spec.remediation.mode: Invalid option: expected one of "Off"|"DryRun"|"Enforce"']],
  ['static fallback without replicas', withSpec({ fallback: { behavior: 'static' } }), ['spec.fallback.replicas: required when fallback.behavior is static']],
  ['bad workload name', withSpec({ scaleTargetRef: { name: 'Web_1' } }), ['spec.scaleTargetRef.name: must be a lowercase RFC 1123 name']],
  ['bad policy name', { ...base, metadata: { name: 'Demo' } }, ['metadata.name: must be a lowercase RFC 1123 name']],
  ['string where a number belongs', withSpec({ maxReplicas: '5' }), ['spec.maxReplicas: Invalid input: expected number, received string']],
]

for (const [name, input, errors] of invalid) {
  t.test(`invalid: ${name}`, async (t) => {
    const r = parsePolicy(input)
    t.same(r, { ok: false, errors })
  })
}

t.test('a policy file lists a broken query together with the schema errors, as the webhook does', async (t) => {
  const r = parseServablePolicy(withSpec({ maxReplicas: 0, load: { query: 'sum(rate(x[2m]', capacityPerReplica: 50 } }))
  t.equal(r.ok, false)
  if (r.ok) return
  t.match(r.errors[0], /^spec\.maxReplicas: /)
  t.match(r.errors.at(-1), /^spec\.load\.query: invalid PromQL: /)
  t.same(parseServablePolicy(withSpec({ maxReplicas: 0 })), parsePolicy(withSpec({ maxReplicas: 0 })), 'valid queries add nothing')
})

t.test('an oversized query is reported by the schema once and never parsed (file source, backtest)', async (t) => {
  const chain = `${'a+'.repeat(150_000)}a`
  const cases: Array<[string, unknown]> = [
    ['load query', withSpec({ load: { query: chain, capacityPerReplica: 1 } })],
    ['pod signal query', withSpec({ podSignals: { errorRatioQuery: 'x'.repeat(1 << 20) } })],
  ]
  for (const [name, input] of cases) {
    const started = performance.now()
    const r = parseServablePolicy(input)
    t.ok(performance.now() - started < 200, `${name}: answered without parsing`)
    t.equal(r.ok, false, name)
    if (!r.ok) {
      t.equal(r.errors.length, 1, name)
      t.match(r.errors[0], /^spec\.(load\.query|podSignals\.errorRatioQuery): Too big: expected string to have <=4096 characters$/, name)
    }
  }
})
