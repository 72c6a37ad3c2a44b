import t from 'tap'
import { POD_ANOMALY_SCORE, combinePodScores, scorePods, type PodSignalClass } from './pods.js'

const m = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o))
const score = (o: Record<string, number>, pod: string, cls: 'error' | 'latency' | 'saturation' = 'error'): number =>
  scorePods(m(o), cls).find((s) => s.pod === pod)?.score ?? NaN

t.test('an outlier among healthy siblings scores high; the siblings score 0', async (t) => {
  const vals = { a: 0.01, b: 0.012, c: 0.008, d: 0.011, e: 0.4 }
  t.ok(score(vals, 'e') > 0.9, `outlier ${score(vals, 'e')}`)
  for (const p of ['a', 'b', 'c', 'd']) t.equal(score(vals, p), 0, p)
})

t.test('everyone failing together is not an outlier', async (t) => {
  const vals = { a: 0.5, b: 0.55, c: 0.48, d: 0.52 }
  for (const p of Object.keys(vals)) t.ok(score(vals, p) < 0.2, `${p}: ${score(vals, p)}`)
})

t.test('small differences stay quiet; too few pods give no verdict', async (t) => {
  t.equal(score({ a: 0.01, b: 0.01, c: 0.025 }, 'c'), 0, 'below the minimum difference for errors')
  t.equal(score({ a: 0.0, b: 0.9 }, 'b'), 0, 'two pods: nothing to compare with')
  t.ok(Number.isNaN(score({ a: 0.0, b: 0.0, c: NaN }, 'c')), 'pods without a value are left out')
})

t.test('latency: a pod three times slower than identical peers', async (t) => {
  t.ok(score({ a: 0.1, b: 0.11, c: 0.1, d: 0.35 }, 'd', 'latency') > 0.5)
})

t.test('combine keeps the worst class per pod', async (t) => {
  const err = scorePods(m({ a: 0.01, b: 0.01, c: 0.01, d: 0.5 }), 'error')
  const lat = scorePods(m({ a: 0.1, b: 0.1, c: 0.9, d: 0.1 }), 'latency')
  const c = combinePodScores([err, lat])
  t.same(c.map((s) => [s.pod, s.class]), [['a', 'error'], ['b', 'error'], ['c', 'latency'], ['d', 'error']])
  t.ok((c[3]?.score ?? 0) > 0.9 && (c[2]?.score ?? 0) > 0.9)
})

t.test('ties name the cause: saturation before errors, errors before latency, in any order of the signals', async (t) => {
  const err = scorePods(m({ a: 0.01, b: 0.01, c: 0.01, d: 0.5 }), 'error')
  const lat = scorePods(m({ a: 0.1, b: 0.1, c: 0.1, d: 0.9 }), 'latency')
  const sat = scorePods(m({ a: 0.3, b: 0.3, c: 0.3, d: 0.99 }), 'saturation')
  t.equal(err.find((s) => s.pod === 'd')?.score, 1, 'the scale is capped: every class scores 1')
  t.equal(combinePodScores([lat, err]).find((s) => s.pod === 'd')?.class, 'error')
  t.equal(combinePodScores([err, lat]).find((s) => s.pod === 'd')?.class, 'error')
  t.equal(combinePodScores([err, lat, sat]).find((s) => s.pod === 'd')?.class, 'saturation')
  t.equal(combinePodScores([sat, lat, err]).find((s) => s.pod === 'd')?.class, 'saturation')
})

t.test('among classes that stand out the cause names the pod; below the anomaly score the highest does', async (t) => {
  const at = (cls: PodSignalClass, score: number): { pod: string; score: number; class: PodSignalClass; reason: string; value: number; peerMedian: number } =>
    ({ pod: 'p', score, class: cls, reason: '', value: 0, peerMedian: 0 })
  const cases: Array<[string, Array<[PodSignalClass, number]>, PodSignalClass, number]> = [
    ['a bad node: errors stand out, latency more', [['latency', 1], ['error', 0.85]], 'error', 0.85],
    ['the same in the other order', [['error', 0.85], ['latency', 1]], 'error', 0.85],
    ['saturation stands out: it names the pod', [['error', 1], ['saturation', POD_ANOMALY_SCORE]], 'saturation', POD_ANOMALY_SCORE],
    ['errors below the anomaly score: latency names it', [['error', 0.79], ['latency', 0.95]], 'latency', 0.95],
    ['nothing stands out: the highest', [['error', 0.3], ['latency', 0.6], ['saturation', 0.1]], 'latency', 0.6],
    ['nothing stands out, a tie: the cause', [['latency', 0.5], ['error', 0.5]], 'error', 0.5],
  ]
  for (const [name, scores, cls, score] of cases) {
    const [c] = combinePodScores(scores.map(([k, v]) => [at(k, v)]))
    t.same([c?.class, c?.score], [cls, score], name)
  }
})
