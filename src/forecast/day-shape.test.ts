import t from 'tap'
import { DayShape } from './day-shape.js'
import { adaptSeries } from './adaptive-series.js'
import { COMPONENTS, EVAL_HORIZONS, summarize } from './adaptive.js'
import { HORIZON_STEPS, SEASONAL_STEPS } from './windows.js'

t.test('the change a day ago from the origin to h steps later, smoothed, at any origin of the window', async (t) => {
  // Yesterday: 10 up to row 64, then 30 (the row of the newest recent row, a day back, is 59).
  const day = Array.from({ length: SEASONAL_STEPS }, (_, i) => (i < 65 ? 10 : 30))
  const s = new DayShape(5, 0)
  t.ok(s.prepare(day))
  t.equal(s.change(0, 1), 0, 'flat for the next step')
  t.equal(s.change(0, 6), 20, 'the step up yesterday at the same time of day')
  t.equal(s.change(10, 6), 0, 'from an origin 10 rows back the step is further away')
  t.equal(s.change(10, 16), 20)
  t.ok(Number.isNaN(s.change(56, 1)), 'no level rows before an origin that far back')
  const smooth = new DayShape(5, 2)
  smooth.prepare(day)
  t.equal(smooth.change(0, 6), 12, 'two of the five smoothed rows are before the step: (2 x 10 + 3 x 30) / 5 - 10')
})

t.test('a row with too little data, of the wrong length or absent gives nothing', async (t) => {
  const s = new DayShape(15, 2)
  t.notOk(s.prepare(undefined))
  t.notOk(s.prepare(new Float64Array(10)))
  const sparse = new Float64Array(SEASONAL_STEPS).fill(NaN)
  for (let i = 0; i < SEASONAL_STEPS; i += 2) sparse[i] = 1
  t.notOk(s.prepare(sparse), 'half the rows missing')
  t.ok(Number.isNaN(s.change(0, 5)))
  const gaps = new Float64Array(SEASONAL_STEPS).fill(4)
  gaps[0] = NaN
  gaps[50] = NaN
  t.ok(s.prepare(gaps), 'a few missing rows are carried forward')
  t.equal(s.change(0, 5), 0)
})

// A daily pattern with a level that moves from day to day: the window forecasters lag every daily step, the
// day-ago row foresees it.
const P = 200
const daily = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => (i % P < 100 ? 10 : 40) + 5 * Math.floor(i / P) + Math.sin(i * 1.7))
const persistence = (values: Float64Array, origins: number[]): Float32Array => {
  const q = new Float32Array(origins.length * HORIZON_STEPS * 3)
  origins.forEach((t, i) => {
    for (let h = 0; h < HORIZON_STEPS; h++) q.set([(values[t] ?? 0) - 3, values[t] ?? 0, (values[t] ?? 0) + 3], (i * HORIZON_STEPS + h) * 3)
  })
  return q
}

t.test('on a daily pattern seasonal_shape takes the weight at longer horizons; without a seasonal row it has none', async (t) => {
  const values = daily(3000)
  const origins = Array.from({ length: 2700 }, (_, i) => i + 260)
  const quantiles = persistence(values, origins)
  const K = EVAL_HORIZONS.length
  const c = COMPONENTS.indexOf('seasonal_shape')
  const k30 = EVAL_HORIZONS.indexOf(30)
  const withDay = summarize(adaptSeries(values, undefined, { origins, quantiles, periodDaySteps: P }).state)
  t.ok((withDay.weights[c * K + k30] ?? 0) > 0.9, `seasonal_shape weight at 30 steps ${withDay.weights[c * K + k30]}`)
  t.ok((withDay.relativeError[c * K + k30] ?? 1) < 0.5, 'its error is well below the persistence model\'s')
  const weekOnly = summarize(adaptSeries(values, undefined, { origins, quantiles, periodWeekSteps: P }).state)
  t.ok((weekOnly.weights[c * K + k30] ?? 0) > 0.9, 'the week-ago row alone serves as well')
  const without = summarize(adaptSeries(values, undefined, { origins, quantiles }).state)
  for (let k = 0; k < K; k++) t.equal(without.weights[c * K + k], 0, `no seasonal row, no weight at ${EVAL_HORIZONS[k]} steps`)
  const sum = without.weights.filter((_, i) => i % K === k30).reduce((a, b) => a + b, 0)
  t.ok(Math.abs(sum - 1) < 1e-9, 'the other components share all the weight')
})
