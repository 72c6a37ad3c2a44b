import t from 'tap'
import { ForecastScore, naiveScale, pinball } from './forecast-metrics.js'

t.test('naive scale averages valid one-step differences before the end index', async (t) => {
  // |3-1| + |2-3| + |6-2| = 7 over 3 pairs; the last row is past endIndex.
  t.equal(naiveScale([1, 3, 2, 6, 100], 4), 7 / 3)
  // Row 2 invalid: only pairs (0,1) and none else -> 2.
  t.equal(naiveScale([1, 3, 2, 6], 4, [1, 1, 0, 1]), 2)
  t.equal(naiveScale([NaN, 1, 4], 3), 3)
  t.ok(Number.isNaN(naiveScale([1], 1)))
})

t.test('pinball loss', async (t) => {
  t.ok(Math.abs(pinball(10, 8, 0.9) - 1.8) < 1e-12)
  t.ok(Math.abs(pinball(10, 12, 0.9) - 0.2) < 1e-12)
  t.ok(Math.abs(pinball(10, 12, 0.1) - 1.8) < 1e-12)
  t.equal(pinball(5, 5, 0.5), 0)
})

t.test('MASE, scaled pinball and coverage, hand computed', async (t) => {
  const s = new ForecastScore(2)
  // actual 10, q = [8, 9, 11]: |err| 1; pinball 0.1*2 + 0.5*1 + 0.1*1 = 0.8, mean 0.8/3; covered.
  s.add(10, [8, 9, 11])
  // actual 20, q = [10, 14, 16]: |err| 6; pinball 0.1*10 + 0.5*6 + 0.9*4 = 7.6, mean 7.6/3; not covered.
  s.add(20, [10, 14, 16])
  t.equal(s.count, 2)
  t.equal(s.mase, (1 + 6) / 2 / 2)
  t.ok(Math.abs(s.scaledPinball - (0.8 / 3 + 7.6 / 3) / 2 / 2) < 1e-12)
  t.equal(s.upperCoverage, 0.5)
})
