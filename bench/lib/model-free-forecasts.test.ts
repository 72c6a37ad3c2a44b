import t from 'tap'
import { modelFreeForecasts } from './model-free-forecasts.js'

t.test('the median follows the smoothed level and sees only the past', async (t) => {
  const f = modelFreeForecasts([10, 20, NaN, 20], 0.5)
  t.same([...f.origins], [0, 1, 2, 3])
  // p50 at origin 0 is the first value; at 1, 10 + 0.5 * 10; the NaN row leaves it; at 3, 15 + 0.5 * 5.
  t.same([0, 1, 2, 3].map((i) => f.quantiles[3 * i + 1]), [10, 15, 15, 17.5])
  // Changing a later value never changes an earlier forecast.
  const g = modelFreeForecasts([10, 20, NaN, 1000], 0.5)
  t.same([...g.quantiles.slice(0, 9)], [...f.quantiles.slice(0, 9)])
})

t.test('the interval is the smoothed absolute miss scaled to a normal 80 % interval', async (t) => {
  const f = modelFreeForecasts([0, 1, 0, 1, 0, 1, 0, 1], 1, 1)
  // alpha 1 and errorSteps 1: the last value and the last miss (1): half width 1.2816 * sqrt(pi / 2).
  const half = 1.2816 * Math.sqrt(Math.PI / 2)
  const i = 7
  t.ok(Math.abs((f.quantiles[3 * i + 2] ?? NaN) - (f.quantiles[3 * i + 1] ?? NaN) - half) < 1e-5)
  t.ok(Math.abs((f.quantiles[3 * i + 1] ?? NaN) - (f.quantiles[3 * i] ?? NaN) - half) < 1e-5)
  // Before any miss the interval has no width.
  t.equal(f.quantiles[0], f.quantiles[2])
})

t.test('rejects settings outside their range', async (t) => {
  t.throws(() => modelFreeForecasts([1], 0), RangeError)
  t.throws(() => modelFreeForecasts([1], 0.5, 0), RangeError)
})
