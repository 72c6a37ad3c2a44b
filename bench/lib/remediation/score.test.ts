import t from 'tap'
import { aboveSiblings, figures, markCaught, median, quantile, type ScenarioRun } from './score.js'

t.test('quantile and median', async (t) => {
  t.ok(Number.isNaN(quantile([], 0.5)))
  t.equal(quantile([5, 1, 3], 0.5), 3)
  t.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0.95), 19, 'nearest rank')
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.equal(median([7]), 7)
})

t.test('aboveSiblings: the 3x-their-median rule', async (t) => {
  t.ok(aboveSiblings(0.03, [0.01, 0.01, 0.02]))
  t.notOk(aboveSiblings(0.029, [0.01, 0.01, 0.02]))
  t.notOk(aboveSiblings(0, [0, 0, 0]), 'zero is never an outlier, even against zeros')
  t.ok(aboveSiblings(0.001, [0, 0, 0]), 'any error against error-free siblings')
  t.notOk(aboveSiblings(0.5, []), 'no siblings')
  t.notOk(aboveSiblings(Number.NaN, [0.01]))
})

t.test('markCaught: the first action carrying the fault', async (t) => {
  const sick = [{ key: '1:0', faultAtMs: 100 }, { key: '1:1', faultAtMs: 100 }]
  const out = markCaught(sick, [
    { tMs: 50, pod: 'a', truth: 'healthy' },
    { tMs: 200, pod: 'b', truth: 'sick', faultKey: '1:0' },
    { tMs: 300, pod: 'b', truth: 'sick', faultKey: '1:0' },
  ])
  t.equal(out[0]?.caughtAtMs, 200)
  t.equal(out[1]?.caughtAtMs, undefined)
  t.equal(sick[0] && 'caughtAtMs' in sick[0], false, 'the input is not changed')
})

const run = (over: Partial<ScenarioRun>): ScenarioRun => ({ scenario: 's', family: 'error-abrupt', pods: 10, strategy: 'x', actions: [], sick: [], podDays: 0, peakUnavailable: 0, ...over })

t.test('figures: recall, time to restart, false restarts per 1,000 pod-days, events, unavailability', async (t) => {
  const f = figures('x', [
    run({
      sick: [
        { key: '1:0', faultAtMs: 0, qualifiedAtMs: 300_000, caughtAtMs: 180_000 },
        { key: '2:0', faultAtMs: 0, qualifiedAtMs: 300_000 },
        { key: '3:0', faultAtMs: 60_000, caughtAtMs: 660_000 },
      ],
      actions: [
        { tMs: 1, pod: 'a', truth: 'healthy' },
        { tMs: 2, pod: 'b', truth: 'event' },
        { tMs: 3, pod: 'c', truth: 'futile' },
        { tMs: 4, pod: 'd', truth: 'sick', faultKey: '1:0' },
      ],
      podDays: 500,
      peakUnavailable: 0.1,
    }),
    run({ family: 'fault-free', actions: [{ tMs: 1, pod: 'e', truth: 'healthy' }], podDays: 1500, peakUnavailable: 0.3 }),
  ])
  t.equal(f.scenarios, 2)
  t.equal(f.qualified, 2)
  t.equal(f.qualifiedCaught, 1)
  t.equal(f.sickPods, 3)
  t.equal(f.sickCaught, 2)
  t.equal(f.medianSeconds, 390, 'median of 180 s and 600 s')
  t.equal(f.p95Seconds, 600)
  t.equal(f.medianFirstFromOnsetSeconds, 120, 'one fault caught')
  t.equal(f.medianFromOnsetSeconds, 120, 'caught 120 s after the first minute of its 3x streak (qualified at 300 s, so onset at 60 s)')
  t.equal(f.healthyActions, 2)
  t.equal(f.podDays, 2000)
  t.equal(f.healthyPer1000PodDays, 1)
  t.equal(f.eventActions, 1)
  t.equal(f.futileActions, 1)
  t.equal(f.peakUnavailable, 0.3)
})

t.test('first pod of each fault: a bad node\'s later pods do not count twice', async (t) => {
  const f = figures('x', [run({
    sick: [
      { key: '1:0', faultAtMs: 0, qualifiedAtMs: 300_000, caughtAtMs: 200_000 },
      { key: '1:1', faultAtMs: 0, qualifiedAtMs: 300_000, caughtAtMs: 1_260_000 },
      { key: '1:2', faultAtMs: 0, qualifiedAtMs: 300_000, caughtAtMs: 2_460_000 },
    ],
  })])
  t.equal(f.medianFromOnsetSeconds, 1200, 'per pod: the middle one')
  t.equal(f.medianFirstFromOnsetSeconds, 140, 'per fault: the first one')
})

t.test('figures of nothing: no recall, no time, no rate', async (t) => {
  const f = figures('x', [run({})])
  t.equal(f.qualified, 0)
  t.ok(Number.isNaN(f.medianSeconds))
  t.ok(Number.isNaN(f.healthyPer1000PodDays))
})
