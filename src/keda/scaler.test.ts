import t from 'tap'
import { status } from '@grpc/grpc-js'
import type { MetricItem, MetricProvider, QueryResult } from '../ports.js'
import { desiredReplicas, isActive, KEDA_METRIC_NAME, metricSpecs, metricValues, policyRef, ScalerError, type ScaledObjectRef } from './scaler.js'

// A provider stand-in: per namespace, the desired count of each policy with a value, and the policies listed
// without one yet (what EngineMetricProvider answers with `pending`).
function provider(opts: { ready?: boolean; values?: Record<string, number>; pending?: string[] }): MetricProvider & { asked: Array<[string, string, string[]]> } {
  const asked: Array<[string, string, string[]]> = []
  return {
    asked,
    metricNames: ['foresight_desired_replicas'],
    readiness: () => ({ ready: opts.ready ?? true, reason: 'x' }),
    query(namespace, metricName, names): QueryResult {
      asked.push([namespace, metricName, [...(names ?? [])]])
      if (opts.ready === false) return { state: 'not-ready', reason: 'the first refresh has not finished' }
      const items: MetricItem[] = Object.entries(opts.values ?? {})
        .filter(([key]) => key.startsWith(`${namespace}/`) && (names === undefined || names.has(key.slice(namespace.length + 1))))
        .map(([key, value]) => ({ metricName, labels: { 'foresight.dev/policy': key.slice(namespace.length + 1), 'foresight.dev/reason': 'Predicted' }, value, timestamp: new Date(0) }))
      const pending = (opts.pending ?? []).filter((k) => k.startsWith(`${namespace}/`)).map((k) => ({ 'foresight.dev/policy': k.slice(namespace.length + 1) }))
      return pending.length > 0 ? { state: 'ok', items, pending } : { state: 'ok', items }
    },
  }
}

const ref = (namespace: string, metadata: Record<string, string>): ScaledObjectRef => ({ name: 'so', namespace, scalerMetadata: metadata })

function code(fn: () => unknown): number | string {
  try {
    fn()
    return 'no error'
  } catch (err) {
    return err instanceof ScalerError ? err.code : String(err)
  }
}

t.test('the metric value is the desired count and the target 1: the HPA asks ceil(value / 1) replicas', async (t) => {
  const p = provider({ values: { 'prod/web': 7, 'prod/api': 3, 'other/web': 40 } })
  t.same(metricSpecs(p, ref('prod', { policy: 'web', scalerAddress: 'x:6000' })), [{ metricName: KEDA_METRIC_NAME, targetSize: 1, targetSizeFloat: 1 }])
  t.same(metricValues(p, ref('prod', { policy: 'web' }), KEDA_METRIC_NAME), [{ metricName: KEDA_METRIC_NAME, metricValue: 7, metricValueFloat: 7 }])
  t.same(metricValues(p, ref('prod', { policy: 'api' }), KEDA_METRIC_NAME)[0]?.metricValue, 3)
  // The ScaledObject's own namespace: the same policy name elsewhere is another policy.
  t.same(metricValues(p, ref('other', { policy: 'web' }), KEDA_METRIC_NAME)[0]?.metricValue, 40)
  t.same(p.asked.at(-1), ['other', 'foresight_desired_replicas', ['web']], 'asks for the one named policy, not a scan')
})

t.test('IsActive: true while the policy wants replicas', async (t) => {
  t.equal(isActive(provider({ values: { 'prod/web': 2 } }), ref('prod', { policy: 'web' })), true)
  t.equal(isActive(provider({ values: { 'prod/web': 0 } }), ref('prod', { policy: 'web' })), false)
})

t.test('status codes: NOT_FOUND for an unknown policy or metric, UNAVAILABLE without a value, INVALID_ARGUMENT for bad metadata', async (t) => {
  const p = provider({ values: { 'prod/web': 5 }, pending: ['prod/new'] })
  t.equal(code(() => desiredReplicas(p, { namespace: 'prod', policy: 'nope' })), status.NOT_FOUND)
  t.equal(code(() => metricValues(p, ref('prod', { policy: 'nope' }), KEDA_METRIC_NAME)), status.NOT_FOUND)
  t.equal(code(() => metricSpecs(p, ref('prod', { policy: 'nope' }))), status.NOT_FOUND, 'a typo shows when KEDA builds the HPA')
  t.equal(code(() => metricValues(p, ref('prod', { policy: 'web' }), 'foresight_forecast_load')), status.NOT_FOUND)
  t.equal(code(() => metricValues(p, ref('prod', { policy: 'new' }), KEDA_METRIC_NAME)), status.UNAVAILABLE)
  t.equal(code(() => isActive(p, ref('prod', { policy: 'new' }))), status.UNAVAILABLE)
  t.same(metricSpecs(p, ref('prod', { policy: 'new' }))[0]?.targetSize, 1, 'a policy still waiting for its value gets its spec')
  t.equal(code(() => metricValues(provider({ ready: false }), ref('prod', { policy: 'web' }), KEDA_METRIC_NAME)), status.UNAVAILABLE)
  t.equal(code(() => metricSpecs(provider({ ready: false }), ref('prod', { policy: 'web' }))).toString(), 'no error', 'spec before the first refresh')
  t.equal(code(() => policyRef(ref('prod', {}))), status.INVALID_ARGUMENT)
  t.equal(code(() => policyRef(ref('prod', { policy: '' }))), status.INVALID_ARGUMENT)
  t.equal(code(() => policyRef(ref('prod', { policy: 'Web/../x' }))), status.INVALID_ARGUMENT)
  t.equal(code(() => policyRef(ref('', { policy: 'web' }))), status.INVALID_ARGUMENT)
  t.equal(code(() => policyRef(ref('Prod', { policy: 'web' }))), status.INVALID_ARGUMENT)
  t.equal(code(() => policyRef(undefined)), status.INVALID_ARGUMENT)
  // Inherited keys are not metadata: `constructor` must not read as a policy name.
  t.equal(code(() => policyRef({ name: 'so', namespace: 'prod', scalerMetadata: Object.create({ policy: 'web' }) as Record<string, string> })), status.INVALID_ARGUMENT)
  const err = (() => {
    try {
      policyRef(ref('prod', { policy: 'x'.repeat(300) }))
    } catch (e) {
      return (e as Error).message
    }
    return ''
  })()
  t.ok(err.length < 200, `a long name is cut in the message (${err.length} characters)`)
})

t.test('a fractional desired count keeps its float and rounds the integer field', async (t) => {
  t.same(metricValues(provider({ values: { 'prod/web': 2.5 } }), ref('prod', { policy: 'web' }), KEDA_METRIC_NAME), [{ metricName: KEDA_METRIC_NAME, metricValue: 3, metricValueFloat: 2.5 }])
})
