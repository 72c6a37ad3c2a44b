import t from 'tap'
import { POD_ANOMALY_SCORE, POD_SCORE_DEFAULTS, combinePodScores, errorRatioNoise, scorePodSignals, scorePods, type PodSignalClass } from './pods.js'

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

t.test('errorRatioNoise: the binomial spread of a ratio of that many requests at the peers\' pooled ratio', async (t) => {
  const peers = [{ ratio: 0.01, requests: 1000 }, { ratio: 0.01, requests: 1000 }]
  const p0 = (20 + 0.5) / 2001
  t.equal(errorRatioNoise(100, peers), Math.sqrt((p0 * (1 - p0)) / 100))
  t.ok((errorRatioNoise(100, peers) ?? 0) > 3 * (errorRatioNoise(3000, peers) ?? 1) * 0.9, 'few requests: about sqrt(30) times the spread of many')
  const silent = errorRatioNoise(120, [{ ratio: 0, requests: 120 }, { ratio: 0, requests: 120 }]) ?? 0
  t.ok(silent > 0, 'peers without an error still leave some noise')
  t.equal(errorRatioNoise(0, peers), undefined, 'no requests: the count says nothing')
  t.equal(errorRatioNoise(undefined, peers), undefined)
  t.equal(errorRatioNoise(100, [{ ratio: 0.01, requests: 1000 }, { ratio: 0.01, requests: undefined }]), undefined, 'fewer than two peers with a count')
})

t.test('with request counts the error margin follows each pod\'s traffic', async (t) => {
  const ratios = m({ a: 0.005, b: 0.006, c: 0.004, d: 0.005, e: 0.045 })
  const scoreOf = (requests?: Map<string, number>): number =>
    scorePods(ratios, 'error', POD_SCORE_DEFAULTS, requests).find((s) => s.pod === 'e')?.score ?? NaN
  const busy = m({ a: 3000, b: 3000, c: 3000, d: 3000, e: 3000 })
  const quiet = m({ a: 60, b: 60, c: 60, d: 60, e: 60 })
  const without = scoreOf()
  t.ok(without < POD_ANOMALY_SCORE, `without counts 4 points above the siblings is under the fixed margin (${without})`)
  t.ok(scoreOf(busy) >= POD_ANOMALY_SCORE, `a busy pod 4 points above its siblings stands out (${scoreOf(busy)})`)
  t.ok(scoreOf(quiet) < POD_ANOMALY_SCORE, `the same ratio over 60 requests (under 3 errors) does not (${scoreOf(quiet)})`)
  t.ok(scoreOf(quiet) < without, 'a pod serving few requests gets a wider margin than the fixed one')
  const other = scorePods(ratios, 'latency', POD_SCORE_DEFAULTS, busy).find((s) => s.pod === 'e')?.score
  t.equal(other, scorePods(ratios, 'latency').find((s) => s.pod === 'e')?.score, 'only the error class uses the counts')
  t.equal(scorePods(ratios, 'error', POD_SCORE_DEFAULTS, m({ a: 3000 })).find((s) => s.pod === 'e')?.score, without, 'without the pod\'s own count: the fixed margin')
})

t.test('scorePodSignals: requests is no class of its own; it sizes the error margin', async (t) => {
  const error = m({ a: 0.005, b: 0.006, c: 0.004, d: 0.005, e: 0.045 })
  const requests = m({ a: 3000, b: 3000, c: 3000, d: 3000, e: 3000 })
  const scored = scorePodSignals({ error, requests })
  t.same([...new Set(scored.map((s) => s.class))], ['error'])
  t.ok((scored.find((s) => s.pod === 'e')?.score ?? 0) >= POD_ANOMALY_SCORE)
  t.ok((scorePodSignals({ error }).find((s) => s.pod === 'e')?.score ?? 1) < POD_ANOMALY_SCORE, 'the same ratios without counts: today\'s margin')
  t.same(scorePodSignals({ requests }), [], 'counts alone score nothing')
})
