import t from 'tap'
import { policySchema } from '../policy/schema.js'
import type { Window } from '../ports.js'
import { podSignalReader } from './pod-signals.js'
import type { FetchRange, PodSignalWindows, PrometheusSource } from './source.js'

const policy = policySchema.parse({
  apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'shop' },
  spec: { scaleTargetRef: { name: 'web' }, load: { query: 'x', capacityPerReplica: 1 }, maxReplicas: 10, podSignals: { errorRatioQuery: 'e', requestsQuery: 'r' } },
})

t.test('the newest value per pod, the request counts beside the error ratios', async (t) => {
  const asked: FetchRange[] = []
  const w = (...values: number[]): Window => ({ values: Float64Array.from(values), startMs: 0, stepMs: 60_000 })
  const source = {
    fetchPodSignals(_p: unknown, range: FetchRange): Promise<Map<string, PodSignalWindows>> {
      asked.push(range)
      return Promise.resolve(new Map([['shop/web', {
        errorRatio: { ok: true, pods: new Map([['a', w(0.01, 0.02)], ['b', w(0.03, NaN)]]) },
        requests: { ok: true, pods: new Map([['a', w(100, 120)], ['b', w(90, NaN)]]) },
      }]]))
    },
  } as unknown as PrometheusSource
  const read = (await podSignalReader(source).read([policy], 600_000 + 30_000)).get('shop/web')
  t.same(asked.map((r) => r.endMs), [600_000], 'read on the minute grid')
  t.ok(read !== undefined && !('error' in read && typeof read.error === 'string'))
  const signals = read as { error?: Map<string, number>; requests?: Map<string, number> }
  t.same([...(signals.error ?? [])], [['a', 0.02], ['b', 0.03]])
  t.same([...(signals.requests ?? [])], [['a', 120], ['b', 90]], 'requests: the count behind each ratio')
})

t.test('a pod whose series ended minutes before the others\' is gone: it is no peer any more', async (t) => {
  const w = (...values: number[]): Window => ({ values: Float64Array.from(values), startMs: 300_000, stepMs: 60_000 })
  const source = {
    fetchPodSignals(): Promise<Map<string, PodSignalWindows>> {
      return Promise.resolve(new Map([['shop/web', {
        errorRatio: { ok: true, pods: new Map([
          ['new', w(NaN, NaN, NaN, 0.3, 0.3, 0.3)],
          ['late', w(0.3, 0.3, 0.3, 0.3, 0.3, NaN)],
          ['gap', w(0.01, 0.01, 0.01, 0.01, NaN, NaN)],
          ['replaced', w(0.01, 0.01, 0.01, NaN, NaN, NaN)],
        ]) },
      }]]))
    },
  } as unknown as PrometheusSource
  const read = (await podSignalReader(source).read([policy], 600_000)).get('shop/web') as { error?: Map<string, number> }
  t.same([...(read.error?.keys() ?? [])].sort(), ['gap', 'late', 'new'], 'one or two minutes behind still count; three minutes behind is gone')
})
