import t from 'tap'
import { dampen, EMPTY_DAMPING, type DampingState } from './damping.js'
import { onFailure, type FailureInputs } from './fallback.js'
import { readyWindow, recommend, replicasFor } from './replicas.js'

const bounds = { minReplicas: 2, maxReplicas: 20, capacityPerReplica: 10 }

t.test('replicasFor', async (t) => {
  const table: Array<[number, number, number]> = [[0, 10, 0], [-5, 10, 0], [NaN, 10, 0], [1, 10, 1], [10, 10, 1], [10.0000000001, 10, 1], [10.5, 10, 2], [95, 10, 10], [0.3, 0.25, 2]]
  for (const [load, cap, want] of table) t.equal(replicasFor(load, cap), want, `${load}/${cap}`)
})

t.test('readyWindow: the lead step and one more, clamped to the forecast', async (t) => {
  const table: Array<[number, number, number, number]> = [
    // leadSteps, forecastSteps, first, last (zero-based)
    [1, 30, 0, 1],
    [5, 30, 4, 5],
    [29, 30, 28, 29],
    [30, 30, 29, 29],
    [40, 30, 29, 29],
    [3, 1, 0, 0],
  ]
  for (const [lead, n, first, last] of table) t.same(readyWindow(lead, n), { first, last }, `lead ${lead} of ${n}`)
})

t.test('recommend: the upper quantile when new pods are ready, at the target utilisation, never below the present', async (t) => {
  const p90 = [50, 80, 120, 60, 300, 40]
  const table: Array<[string, number, number, number, number, number, number, number]> = [
    // why, leadSteps, observedNow, targetUtilization, forecastReplicas, presentReplicas, replicas, peak
    ['steps 1 and 2', 1, 40, 1, 8, 4, 8, 80],
    ['steps 3 and 4: the earlier peak is not the new pods\' to serve', 3, 40, 1, 12, 4, 12, 120],
    ['a spike one step after the lead counts: the next refresh\'s pods are not Ready before it', 4, 40, 1, 30, 4, 20, 300],
    ['a drop forecast by the lead lowers the count ahead of the load (the peak over steps 1..6 asked for 30)', 6, 40, 1, 4, 4, 4, 40],
    ['the present wins when the forecast is lower', 6, 150, 1, 4, 15, 15, 40],
    ['0.8: the forecast may use 8 of each 10', 1, 40, 0.8, 10, 4, 10, 80],
    ['the present floor stays at full capacity', 6, 150, 0.5, 8, 15, 15, 40],
    ['1.25: provision for 80 % of the p90 (80 / 12.5 = 6.4)', 1, 40, 1.25, 7, 4, 7, 80],
    ['1.5, the bound: two thirds of the p90 (300 / 15 = 20)', 4, 40, 1.5, 20, 4, 20, 300],
    ['above 1 the present is still provisioned in full', 6, 150, 1.5, 3, 15, 15, 40],
    ['lead beyond the forecast: its last step', 10, 0, 1, 4, 0, 4, 40],
  ]
  for (const [why, lead, obs, u, fr, pr, r, peak] of table) {
    const rec = recommend(p90, lead, obs, { ...bounds, targetUtilization: u })
    t.same([rec.forecastReplicas, rec.presentReplicas, rec.replicas, rec.peakForecastLoad], [fr, pr, r, peak], why)
  }
  const full = { ...bounds, targetUtilization: 1 }
  t.equal(recommend([0, 0], 1, 0, full).replicas, 2, 'idle load gets minReplicas')
  t.equal(recommend([NaN, Infinity, 15], 2, 0, full).forecastReplicas, 2, 'non-finite forecasts are ignored')
  t.same(recommend([], 5, 25, full), { forecastReplicas: 0, presentReplicas: 3, replicas: 3, peakForecastLoad: 0 }, 'no forecast (cold start): the present alone')
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
  // The 5 minutes held in the window do not add up to one big drop: at most 20 % of 15 in the first minute.
  const at330 = step(5, 330)
  t.equal(at330, 12, 'starts stepping down by one minute\'s share')
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

t.test('dampen: the scale-down allowance accumulates between 15 s refreshes', async (t) => {
  const cfg = { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 20 }
  const run = (from: number, to: number, untilSeconds: number): number[] => {
    let s = dampen(EMPTY_DAMPING, from, 0, cfg).state
    const served: number[] = []
    for (let sec = 15; sec <= untilSeconds; sec += 15) {
      const r = dampen(s, to, sec * 1000, cfg)
      s = r.state
      served.push(r.served)
    }
    return served
  }
  // 5 replicas at 20 %/min is one replica per minute; then 4 -> one per 75 s, 3 -> per 100 s (next 15 s tick), 2 -> per 150 s.
  t.same(run(5, 1, 390), [
    5, 5, 5, 4, // 15..60 s
    4, 4, 4, 4, 3, // 75..135 s
    3, 3, 3, 3, 3, 3, 2, // 150..240 s
    2, 2, 2, 2, 2, 2, 2, 2, 2, 1, // 255..390 s
  ], '5 -> 1 loses one replica per minute at most, not one per refresh')
  // A large deployment still steps down on every refresh: 20 % of 100 per minute is 5 per 15 s.
  t.same(run(100, 1, 60), [95, 91, 87, 83])
  // Below one replica per refresh the allowance is carried over, never lost.
  let s = dampen(EMPTY_DAMPING, 7, 0, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 10 }).state
  const slow: number[] = []
  for (let sec = 15; sec <= 90; sec += 15) {
    const r = dampen(s, 1, sec * 1000, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 10 })
    s = r.state
    slow.push(r.served)
  }
  t.same(slow, [7, 7, 7, 7, 7, 6], '7 * 10 % * 1.5 min = 1.05: the first replica goes at 90 s')
  // A long hold at 20 replicas, then the recommendation collapses: one minute's share (4), not all 19.
  const held = dampen(EMPTY_DAMPING, 20, 0, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 20 }).state
  t.equal(dampen(held, 1, 3_600_000, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 20 }).served, 16)
  // 0 %/min never scales down.
  t.equal(dampen(held, 1, 3_600_000, { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 0 }).served, 20)
})

t.test('onFailure', async (t) => {
  const base: FailureInputs = {
    consecutiveFailures: 1,
    lastGood: { replicas: 7, dataTimeMs: 0, refreshedAtMs: 0 },
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

t.test('dampen: after a long hold, one share goes at once and the next only a period later', async (t) => {
  const cfg = { stabilizationSeconds: 0, maxDecreasePercentPerMinute: 20 }
  let s = dampen(EMPTY_DAMPING, 20, 0, cfg).state
  const served: number[] = []
  for (let sec = 3600; sec <= 3720; sec += 15) {
    const r = dampen(s, 1, sec * 1000, cfg)
    s = r.state
    served.push(r.served)
  }
  // 20 -> 16 (a minute's share after the hold), then nothing until that drop is a minute old: 16 * 20 % = 3.
  t.same(served, [16, 16, 16, 16, 13, 13, 13, 13, 11])
})

t.test('dampen: within any minute at most the share of the largest count served in it is removed', async (t) => {
  // A seeded walk of recommendations between 5 and 100, refreshed every 15 s, with holds, collapses and spikes.
  // The bound checked is looser than the HPA's (the largest count of the minute, not the count at its start, and
  // at least one replica: at 10 %/min below 10 replicas the period is longer than a minute), but independent of
  // how damping.ts counts.
  let seed = 7
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  for (const pct of [10, 20, 50]) {
    const cfg = { stabilizationSeconds: 0, maxDecreasePercentPerMinute: pct }
    let s = EMPTY_DAMPING
    let rec = 60
    const trace: Array<{ sec: number; served: number }> = []
    for (let sec = 0; sec <= 4 * 3600; sec += 15) {
      const roll = rand()
      if (roll < 0.05) rec = 5 + Math.floor(rand() * 96)
      else if (roll < 0.1) rec = 5
      const r = dampen(s, rec, sec * 1000, cfg)
      s = r.state
      trace.push({ sec, served: r.served })
    }
    // For every minute (t - 60 s, t]: replicas removed in it, against the share of the largest count it saw.
    let worst = 0
    for (let end = 1; end < trace.length; end++) {
      let removed = 0
      let largest = 0
      for (let i = end; i > 0 && (trace[i]?.sec ?? 0) > (trace[end]?.sec ?? 0) - 60; i--) {
        const prev = trace[i - 1]?.served ?? 0
        const cur = trace[i]?.served ?? 0
        removed += Math.max(0, prev - cur)
        largest = Math.max(largest, prev, cur)
      }
      worst = Math.max(worst, removed - Math.max(1, Math.floor(largest * pct / 100 + 1e-9)))
    }
    t.equal(worst, 0, `${pct} %/min: no minute removes more than its share`)
    t.ok(trace.some((p, i) => i > 0 && p.served < (trace[i - 1]?.served ?? 0)), `${pct} %/min: it does scale down`)
  }
})
