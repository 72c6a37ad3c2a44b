import t from 'tap'
import { RangeNovelty } from './range-novelty.js'
import { AnomalyLikelihood, OnlineAnomalyScorer, erfc, gaussianTail, intervalMiss, logScaledTail, rawSurprise, type LikelihoodOptions } from './likelihood.js'

const close = (a: number, b: number, tol = 1e-6): boolean => Math.abs(a - b) <= tol

t.test('raw surprise is the miss in interval widths, squashed', async (t) => {
  // |12-10| / (12-8) = 0.5 -> 0.5 / 1.5.
  t.ok(close(rawSurprise(12, 8, 10, 12, 0, 0), 1 / 3, 1e-12))
  t.equal(rawSurprise(10, 8, 10, 12), 0)
  // Zero-width interval: eps = 1e-3 * 10, so a 0.5 miss is 50 widths -> 50/51.
  t.ok(close(rawSurprise(10.5, 10, 10, 10), 50 / 51, 1e-4))
})

t.test('erfc, Gaussian tail and log scaling', async (t) => {
  t.ok(close(erfc(0), 1))
  t.ok(close(erfc(1), 0.157299207))
  t.ok(close(erfc(-1), 1.842700793))
  t.ok(close(gaussianTail(1.6448536), 0.05))
  t.ok(close(gaussianTail(-1), 0.841344746))
  t.ok(close(logScaledTail(0.5), Math.log(0.5 + 1e-10) / Math.log(1e-10), 1e-12))
  t.ok(close(logScaledTail(1e-5), 0.5, 1e-4))
  t.equal(logScaledTail(0), 1)
})

const opts: LikelihoodOptions = { learningSteps: 50, averagingSteps: 10, historySteps: 1000, reestimateEverySteps: 20, minStd: 0.02, warmupScore: 0 }

t.test('likelihood: quiet when surprises are usual, high on a burst', async (t) => {
  const l = new AnomalyLikelihood(opts)
  const warm = Array.from({ length: 50 }, () => l.update(0.1))
  t.ok(warm.every((s) => s === 0), 'warm-up rows answer the warm-up score')
  let last = 0
  for (let i = 0; i < 200; i++) last = l.update(0.1)
  // Constant history: z = 0 -> tail 0.5 -> 0.0301.
  t.ok(close(last, 0.0301, 1e-3))
  // One 0.9 lifts the 10-row mean by 0.08 = 4 floored deviations: tail 3.2e-5 -> 0.45.
  const burst = l.update(0.9)
  t.ok(close(burst, Math.log(gaussianTail(4) + 1e-10) / Math.log(1e-10), 1e-6))
  t.ok(burst > 0.4)
})

t.test('scores depend on the past only', async (t) => {
  const run = (tail: number): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05 })
    const out: number[] = []
    for (let i = 0; i < 120; i++) {
      const actual = i < 100 ? 10 + (i % 3) : tail
      out.push(s.score(actual))
      s.expect(9, 11, 13)
    }
    return out
  }
  const a = run(10)
  const b = run(1000)
  t.same(a.slice(0, 100), b.slice(0, 100))
  t.not(a[100], b[100], 'the differing row itself does change')
})

t.test('rows without a forecast or with a missing actual score 0', async (t) => {
  const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: undefined })
  t.equal(s.score(5), 0)
  s.expect(1, 2, 3)
  t.equal(s.score(NaN), 0)
})

t.test('a value beyond the seen range scores 1 once learning is over', async (t) => {
  const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05 })
  for (let i = 0; i < 60; i++) s.score(i % 2 === 0 ? 0 : 10)
  // Range [0, 10], slack 0.5: 10.4 is inside and widens the range to [0, 10.4] (slack 0.52), so 10.9 is inside
  // and 11.5 outside.
  t.ok(s.score(10.4) < 1)
  t.ok(s.score(10.9) < 1)
  t.equal(s.score(11.5), 1)
  const off = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: undefined })
  for (let i = 0; i < 60; i++) off.score(i % 2 === 0 ? 0 : 10)
  t.equal(off.score(100), 0, 'range check off and no forecast: nothing to score')
})

t.test('range novelty waits for its learning period and uses earlier values only', async (t) => {
  const r = new RangeNovelty(0.1, 3)
  t.same([5, 6, 100].map((v) => r.update(v)), [false, false, false], 'learning')
  // Range [5, 100], slack 9.5: 104 inside; range [5, 104], slack 9.9: 114 outside, then it has joined the range.
  t.equal(r.update(104), false)
  t.equal(r.update(114), true)
  t.equal(r.update(114), false)
  // Range [5, 114], slack 10.9: -6 is below 5 - 10.9.
  t.equal(r.update(-5), false)
  t.equal(r.update(-17), true)
  t.equal(r.update(NaN), false)
})

t.test('interval miss is the raw surprise before squashing', async (t) => {
  t.ok(close(intervalMiss(12, 8, 10, 12, 0, 0), 0.5, 1e-12))
  const m = intervalMiss(15, 8, 10, 12)
  t.ok(close(rawSurprise(15, 8, 10, 12), m / (1 + m), 1e-12))
})

t.test('suppression keeps the first of consecutive fires', async (t) => {
  const run = (suppressSteps: number): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, suppressSteps })
    for (let i = 0; i < 60; i++) s.score(i % 2 === 0 ? 0 : 10)
    // Two new extremes in a row: each alone would score 1.
    return [s.score(20), s.score(30)]
  }
  t.same(run(0), [1, 1])
  t.same(run(10), [1, 0])
})

t.test('a new high inside the range slack scores through the extreme record', async (t) => {
  const run = (withExtremes: boolean): number => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, extremes: withExtremes ? { gapSteps: 60, maxScore: 0.8 } : undefined })
    for (let i = 0; i < 120; i++) s.score(i % 2 === 0 ? 0 : 10)
    // 10.3 is inside the range slack (10.5), a new high 119 rows after the last one (row 1): 0.8 * 119 / 179.
    return s.score(10.3)
  }
  t.equal(run(false), 0)
  t.ok(close(run(true), (0.8 * 119) / 179, 1e-12))
})
