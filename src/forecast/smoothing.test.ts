import t from 'tap'
import { BASELINE_NAMES, fittedBaselines, type PointForecaster } from './baselines.js'
import { DampedHolt, fitByGrid, fitSmoothing, MovingAverage, SimpleExpSmoothing, trainingError } from './smoothing.js'

const feed = (f: PointForecaster, values: number[]): void => values.forEach((v) => f.observe(v))

/** A seeded noisy series with a daily-like wave, for fits that must be deterministic. */
function noisy(n: number, seed = 11): number[] {
  let s = seed
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    out.push(100 + 20 * Math.sin((2 * Math.PI * i) / 48) + 10 * (s / 2147483648 - 0.5))
  }
  return out
}

t.test('moving average: mean of the last k valid rows, missing rows skipped', async (t) => {
  const f = new MovingAverage(3)
  t.ok(Number.isNaN(f.forecast(1)[0]), 'nothing seen: no forecast')
  feed(f, [1, 2])
  t.same([...f.forecast(2)], [1.5, 1.5])
  feed(f, [3, 4])
  t.same([...f.forecast(1)], [3])
  f.observe(NaN)
  t.same([...f.forecast(1)], [3], 'a missing row changes nothing')
  feed(f, [10, 10, 10])
  t.same([...f.forecast(1)], [10], 'the running sum forgets what left the window')
})

t.test('simple exponential smoothing, hand computed', async (t) => {
  const f = new SimpleExpSmoothing(0.5)
  feed(f, [4, 8])
  t.same([...f.forecast(2)], [6, 6])
  feed(f, [NaN, 2])
  t.same([...f.forecast(1)], [4])
})

t.test('damped Holt: hand computed, and the trend levels off', async (t) => {
  const f = new DampedHolt({ alpha: 0.5, beta: 0.5, phi: 0.5 })
  feed(f, [10, 14])
  // level = 0.5*14 + 0.5*(10 + 0) = 12; trend = 0.5*(12-10) + 0.5*0.5*0 = 1.
  t.same([...f.forecast(3)], [12 + 0.5, 12 + 0.75, 12 + 0.875])
  const ramp = new DampedHolt({ alpha: 1, beta: 1, phi: 1 })
  feed(ramp, [1, 2, 3, 4])
  t.same([...ramp.forecast(2)], [5, 6], 'undamped with full weights extrapolates a straight line')
})

t.test('the forecasters are causal: changing rows after the origin changes no forecast at it', async (t) => {
  const base = noisy(400)
  const changed = base.map((v, i) => (i >= 250 ? v * 3 + 50 : v))
  const fit = fitSmoothing(base, 250, [1, 5])
  const fitChanged = fitSmoothing(changed, 250, [1, 5])
  t.same(fitChanged, fit, 'a fit on rows before 250 ignores rows from 250 on')
  const make = (): PointForecaster[] => [...fittedBaselines(base, 48, 250, [1, 5]).forecasters]
  const a = make()
  const b = make()
  t.same(a.map((f) => f.name), [...BASELINE_NAMES])
  a.forEach((f, k) => {
    const g = b[k]
    if (g === undefined) return
    for (let i = 0; i < 250; i++) {
      f.observe(base[i] ?? NaN)
      g.observe(changed[i] ?? NaN)
    }
    t.same([...g.forecast(30)], [...f.forecast(30)], `${f.name}: same forecast at row 249`)
  })
  // The training error reads no row at or after its end either.
  t.equal(trainingError(new MovingAverage(5), changed, 250, [1, 5]), trainingError(new MovingAverage(5), base, 250, [1, 5]))
})

t.test('grid fits pick what suits the series', async (t) => {
  let x = 0
  let s = 3
  const walk: number[] = []
  for (let i = 0; i < 600; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    x += s / 2147483648 - 0.5
    walk.push(x)
  }
  t.equal(fitByGrid([3, 5, 30], (k) => new MovingAverage(k), walk, 600, [1]), 3, 'a random walk wants the shortest window')
  t.equal(fitByGrid([0.1, 1], (a) => new SimpleExpSmoothing(a), walk, 600, [1]), 1, 'and the full SES weight')
  let w = 7
  const flatNoise: number[] = []
  for (let i = 0; i < 600; i++) {
    w = (w * 1103515245 + 12345) % 2147483648
    flatNoise.push(50 + (w / 2147483648 - 0.5))
  }
  t.equal(fitByGrid([3, 5, 30], (k) => new MovingAverage(k), flatNoise, 600, [1]), 30, 'white noise wants the widest window')
  const trend = Array.from({ length: 300 }, (_, i) => 2 * i + 5)
  const holt = fitSmoothing(trend, 300, [1, 5]).dampedHolt
  t.equal(holt.phi, 0.98, 'a straight line wants the least damping')
})

t.test('fitByGrid rejects an empty grid', async (t) => {
  t.throws(() => fitByGrid([], (k: number) => new MovingAverage(k), [1, 2, 3], 3, [1]))
})
