import t from 'tap'
import { dampen, EMPTY_DAMPING, type DampingState } from './damping.js'
import { onFailure, type FailureInputs } from './fallback.js'
import { recommend, replicasFor } from './replicas.js'

const bounds = { minReplicas: 2, maxReplicas: 20, capacityPerReplica: 10 }

t.test('replicasFor', async (t) => {
  const table: Array<[number, number, number]> = [[0, 10, 0], [-5, 10, 0], [NaN, 10, 0], [1, 10, 1], [10, 10, 1], [10.0000000001, 10, 1], [10.5, 10, 2], [95, 10, 10], [0.3, 0.25, 2]]
  for (const [load, cap, want] of table) t.equal(replicasFor(load, cap), want, `${load}/${cap}`)
})

t.test('recommend: peak of the upper quantile over the horizon, never below the present, clamped', async (t) => {
  const p90 = [50, 80, 120, 60, 300]
  const table: Array<[number, number, number, number, number]> = [
    // horizonSteps, observedNow, forecastReplicas, presentReplicas, replicas
    [1, 40, 5, 4, 5],
    [3, 40, 12, 4, 12],
    [5, 40, 30, 4, 20], // clamped to max
    [2, 150, 8, 15, 15], // the present wins when the forecast is lower
    [10, 0, 30, 0, 20], // horizon longer than the forecast: uses what there is
  ]
  for (const [h, obs, fr, pr, r] of table) {
    const rec = recommend(p90, h, obs, bounds)
    t.same([rec.forecastReplicas, rec.presentReplicas, rec.replicas], [fr, pr, r], `h=${h} observed=${obs}`)
  }
  t.equal(recommend([0, 0], 2, 0, bounds).replicas, 2, 'idle load gets minReplicas')
  t.equal(recommend([NaN, Infinity, 15], 3, 0, bounds).forecastReplicas, 2, 'non-finite forecasts are ignored')
})

t.test('dampen: up at once, down only after the window and gradually', async (t) => {
  const cfg = { stabilizationSeconds: 300, maxDecreasePercentPerMinute: 20 }
  let s: DampingState = EMPTY_DAMPING
  const step = (rec: number, atSeconds: number): number => {
    const r = dampen(s, rec, atSeconds * 1000, cfg)
    s = r.state
    return r.served
  }
  t.equal(step(10, 0), 10)
  t.equal(step(15, 15), 15, 'scale-up is immediate')
  t.equal(step(5, 30), 15, 'a lower recommendation waits for the window')
  t.equal(step(5, 200), 15)
  t.equal(step(5, 310), 15, 'the 15 from t=15 s is still inside the window')
  // window passed (15 recorded at 15 s): from now on the drop is rate-limited to 20 %/min of 15 since t=15 s.
  const at330 = step(5, 330)
  t.ok(at330 < 15 && at330 >= 5, `starts stepping down (${at330})`)
  let last = at330
  for (let sec = 345; sec <= 900; sec += 15) {
    const v = step(5, sec)
    t.ok(v <= last, 'never goes back up while the recommendation stays low')
    last = v
  }
  t.equal(last, 5, 'reaches the recommendation eventually')
  t.equal(step(12, 915), 12, 'and scales up again at once')
})

t.test('dampen: no window and 100 % per minute serve the recommendation', async (t) => {
  const r1 = dampen(EMPTY_DAMPING, 10, 0, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 100 })
  const r2 = dampen(r1.state, 3, 60_000, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 100 })
  t.equal(r2.served, 3)
})

t.test('onFailure', async (t) => {
  const base: FailureInputs = {
    consecutiveFailures: 1,
    lastGood: { replicas: 7, dataTimeMs: 0 },
    nowMs: 60_000,
    maxStalenessSeconds: 120,
    fallback: { failureThreshold: 3, behavior: 'currentReplicasIfHigher' },
  }
  const table: Array<[string, Partial<FailureInputs>, ReturnType<typeof onFailure>]> = [
    ['fresh last good value', {}, { kind: 'serve', replicas: 7, reason: 'StaleValue' }],
    ['stale, current known and higher', { nowMs: 600_000, currentReplicas: 9 }, { kind: 'serve', replicas: 9, reason: 'Fallback' }],
    ['stale, current lower than fallback.replicas', { nowMs: 600_000, currentReplicas: 3, fallback: { failureThreshold: 3, behavior: 'currentReplicasIfHigher', replicas: 5 } }, { kind: 'serve', replicas: 5, reason: 'Fallback' }],
    ['threshold reached, static', { consecutiveFailures: 3, fallback: { failureThreshold: 3, behavior: 'static', replicas: 4 } }, { kind: 'serve', replicas: 4, reason: 'Fallback' }],
    ['threshold reached, currentReplicas', { consecutiveFailures: 5, currentReplicas: 6, fallback: { failureThreshold: 3, behavior: 'currentReplicas' } }, { kind: 'serve', replicas: 6, reason: 'Fallback' }],
    ['threshold reached, current unknown, still fresh', { consecutiveFailures: 5, fallback: { failureThreshold: 3, behavior: 'currentReplicas' } }, { kind: 'serve', replicas: 7, reason: 'StaleValue' }],
    ['stale and nothing to fall back on', { nowMs: 600_000, fallback: { failureThreshold: 3, behavior: 'currentReplicas' } }, { kind: 'none', reason: 'NoData' }],
    ['never had data', { lastGood: undefined }, { kind: 'none', reason: 'NoData' }],
  ]
  for (const [name, over, want] of table) t.same(onFailure({ ...base, ...over }), want, name)
})
