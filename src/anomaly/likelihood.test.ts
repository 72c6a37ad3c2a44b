import t from 'tap'
import { AnomalyLikelihood, erfc, gaussianTail, intervalMiss, logScaledTail, rawSurprise, type LikelihoodOptions } from './likelihood.js'

const close = (a: number, b: number, tol = 1e-6): boolean => Math.abs(a - b) <= tol

const opts: LikelihoodOptions = { learningSteps: 50, averagingSteps: 10, historySteps: 1000, reestimateEverySteps: 20, minStd: 0.02, warmupScore: 0 }

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

t.test('interval miss is the raw surprise before squashing', async (t) => {
  t.ok(close(intervalMiss(12, 8, 10, 12, 0, 0), 0.5, 1e-12))
  const m = intervalMiss(15, 8, 10, 12)
  t.ok(close(rawSurprise(15, 8, 10, 12), m / (1 + m), 1e-12))
})
