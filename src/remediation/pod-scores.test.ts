import { KubeConfig } from '@kubernetes/client-node'
import t from 'tap'
import { startRemediationStandIn, type RemediationStandIn } from '../../test/helpers/remediation-standin.js'
import { ScoreHistory } from './history.js'
import { kubePodScoreReader, parseScoreList } from './pod-scores.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')
const item = (labels: Record<string, string>, value: string, timestamp?: string): object => ({
  metricName: 'foresight_pod_anomaly_score', metricLabels: { 'foresight.dev/policy': 'web', ...labels }, value, ...(timestamp !== undefined ? { timestamp } : {}),
})

t.test('parseScoreList', async (t) => {
  const rows: Array<{ name: string; items: object[]; want: Array<[string, number, string]>; dropped: number }> = [
    { name: 'milli quantity', items: [item({ pod: 'a', class: 'error', reason: 'r' }, '870m')], want: [['a', 0.87, 'error']], dropped: 0 },
    { name: 'whole and zero', items: [item({ pod: 'a', class: 'latency' }, '1'), item({ pod: 'b', class: 'load' }, '0')], want: [['a', 1, 'latency'], ['b', 0, 'load']], dropped: 0 },
    { name: 'clamped to [0,1]', items: [item({ pod: 'a', class: 'error' }, '2'), item({ pod: 'b', class: 'error' }, '-5m')], want: [['a', 1, 'error'], ['b', 0, 'error']], dropped: 0 },
    { name: 'bad quantity dropped', items: [item({ pod: 'a', class: 'error' }, 'lots'), item({ pod: 'b', class: 'error' }, '500m')], want: [['b', 0.5, 'error']], dropped: 1 },
    { name: 'unknown class dropped', items: [item({ pod: 'a', class: 'vibes' }, '900m')], want: [], dropped: 1 },
    { name: 'no pod label dropped', items: [item({ class: 'error' }, '900m')], want: [], dropped: 1 },
    { name: 'another policy dropped', items: [item({ pod: 'a', class: 'error', 'foresight.dev/policy': 'other' }, '900m')], want: [], dropped: 1 },
    { name: 'not an object dropped', items: [42 as unknown as object], want: [], dropped: 1 },
    { name: 'empty', items: [], want: [], dropped: 0 },
  ]
  for (const r of rows) {
    const out = parseScoreList({ kind: 'ExternalMetricValueList', items: r.items }, 'web', NOW)
    t.same(out.samples.map((s) => [s.pod, s.score, s.class]), r.want, r.name)
    t.equal(out.dropped, r.dropped, `${r.name}: dropped`)
  }
  t.same(parseScoreList({ items: null }, 'web', NOW), { samples: [], dropped: 0 }, 'null items')
  t.throws(() => parseScoreList('nope', 'web', NOW), /ExternalMetricValueList/)
  const ts = parseScoreList({ items: [item({ pod: 'a', class: 'error' }, '1', '2026-01-01T11:59:30Z'), item({ pod: 'b', class: 'error' }, '1', '2030-01-01T00:00:00Z'), item({ pod: 'c', class: 'error' }, '1')] }, 'web', NOW)
  t.same(ts.samples.map((s) => s.timeMs), [NOW - 30_000, NOW, NOW], 'timestamps: kept, capped at now, defaulted to now')
})

t.test('ScoreHistory keeps the window, the worst class per read, and forgets vanished pods', async (t) => {
  const h = new ScoreHistory()
  const s = (pod: string, score: number, cls: 'error' | 'saturation', at: number): { pod: string; score: number; class: 'error' | 'saturation'; reason: string; timeMs: number } => ({ pod, score, class: cls, reason: '', timeMs: at })
  h.record('shop/web', [s('a', 0.9, 'error', NOW - 120_000), s('b', 0.1, 'error', NOW - 120_000)], NOW - 120_000, 100_000)
  h.record('shop/web', [s('a', 0.95, 'error', NOW - 60_000), s('a', 0.99, 'saturation', NOW - 60_000)], NOW - 60_000, 100_000)
  h.record('shop/web', [s('a', 0.97, 'error', NOW)], NOW, 100_000)
  t.same(h.get('shop/web').get('a')?.map((o) => [o.score, o.class]), [[0.99, 'saturation'], [0.97, 'error']], 'the oldest fell out; worst class kept')
  t.equal(h.get('shop/web').has('b'), false, 'b vanished')
  h.record('shop/web', [s('a', 0.97, 'error', NOW)], NOW, 100_000)
  t.equal(h.get('shop/web').get('a')?.length, 2, 'the same sample twice is one observation')
  h.retain(new Set())
  t.equal(h.get('shop/web').size, 0)
})

t.test('through the external metrics route of a stand-in apiserver', async (t) => {
  const standIn: RemediationStandIn = await startRemediationStandIn()
  t.teardown(() => standIn.close())
  const kc = new KubeConfig()
  kc.loadFromFile(standIn.kubeconfigFile)
  standIn.scores.set('shop', [
    { pod: 'web-1', policy: 'web', class: 'error', value: '870m', reason: 'error 0.3 vs peers 0.01' },
    { pod: 'api-1', policy: 'api', class: 'latency', value: '1' },
  ])
  const read = kubePodScoreReader(kc, { timeoutMs: 5_000 })
  const out = await read('shop', 'web')
  t.same(out.samples.map((s) => [s.pod, s.score, s.class, s.reason]), [['web-1', 0.87, 'error', 'error 0.3 vs peers 0.01']])
  t.match(standIn.scoreRequests.at(-1), '/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/foresight_pod_anomaly_score?labelSelector=foresight.dev%2Fpolicy%3Dweb')
  standIn.scoreCode = 503
  await t.rejects(read('shop', 'web'), { code: 503 })
})
