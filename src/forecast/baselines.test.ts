import t from 'tap'
import { FftPeriodic, HoltWinters, LastValue, SeasonalNaive, defaultBaselines, fitHoltWinters } from './baselines.js'

const feed = (f: { observe(v: number): void }, values: number[]): void => values.forEach((v) => f.observe(v))

t.test('last value holds the newest valid observation', async (t) => {
  const f = new LastValue()
  feed(f, [1, 2, NaN])
  t.same([...f.forecast(3)], [2, 2, 2])
})

t.test('seasonal naive repeats the previous period', async (t) => {
  const f = new SeasonalNaive(3)
  feed(f, [1, 2])
  t.same([...f.forecast(2)], [2, 2], 'last value before a full period')
  feed(f, [3, 4])
  // Newest is row 3 (value 4): h=1 -> row 1, h=2 -> row 2, h=3 -> row 3, h=4 -> row 1 again.
  t.same([...f.forecast(4)], [2, 3, 4, 2])
  // A missing row is filled with its seasonal forecast (row 1 = 2), so h=3 now returns 2.
  f.observe(NaN)
  t.same([...f.forecast(3)], [3, 4, 2])
})

t.test('Holt-Winters updates, hand computed', async (t) => {
  const f = new HoltWinters(2, { alpha: 0.5, beta: 0.5, gamma: 0.5 })
  feed(f, [1, 3])
  // Initialised from the first season: level 2, trend 0, season [-1, 1].
  t.same([...f.forecast(2)], [1, 3])
  f.observe(2)
  // level = 0.5*(2+1) + 0.5*2 = 2.5; trend = 0.5*0.5 = 0.25; season[0] = 0.5*(2-2.5) + 0.5*(-1) = -0.75.
  t.same([...f.forecast(2)], [2.5 + 0.25 + 1, 2.5 + 0.5 - 0.75])
})

t.test('Holt-Winters forecasts a clean seasonal pattern exactly', async (t) => {
  const pattern = [5, 9, 7, 1]
  const f = new HoltWinters(4, { alpha: 0.3, beta: 0.1, gamma: 0.2 })
  for (let i = 0; i < 40; i++) f.observe(pattern[i % 4] ?? 0)
  const fc = f.forecast(6)
  for (let h = 1; h <= 6; h++) t.ok(Math.abs((fc[h - 1] ?? NaN) - (pattern[(39 + h) % 4] ?? 0)) < 1e-9, `h=${h}`)
})

t.test('Holt-Winters grid fit picks a fast level for a random walk', async (t) => {
  let x = 100
  let seed = 7
  const values: number[] = []
  for (let i = 0; i < 400; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    x += seed / 2147483648 - 0.5
    values.push(x)
  }
  const p = fitHoltWinters(values, 10, 400)
  t.equal(p.alpha, 0.7)
})

t.test('FFT periodic predictor detects the period and averages past cycles', async (t) => {
  const f = new FftPeriodic({ historySteps: 96, minHistorySteps: 24, minPeriodSteps: 2, candidatePeriods: [12], refitEverySteps: 12, minPowerShare: 0.05 })
  const wave = (i: number): number => 50 + 10 * Math.sin((2 * Math.PI * i) / 12) + (i % 12 === 3 ? 5 : 0)
  for (let i = 0; i < 96; i++) f.observe(wave(i))
  t.equal(f.detectedPeriodSteps, 12)
  const fc = f.forecast(15)
  for (let h = 1; h <= 15; h++) t.ok(Math.abs((fc[h - 1] ?? NaN) - wave(95 + h)) < 1e-9, `h=${h}`)

  const flat = new FftPeriodic({ historySteps: 96, minHistorySteps: 24, minPeriodSteps: 2, candidatePeriods: [], refitEverySteps: 12, minPowerShare: 0.05 })
  for (let i = 0; i < 96; i++) flat.observe(3)
  t.equal(flat.detectedPeriodSteps, undefined)
  t.same([...flat.forecast(2)], [3, 3])
})

t.test('default baselines are the four named ones', async (t) => {
  t.same(defaultBaselines(288, { alpha: 0.2, beta: 0, gamma: 0.1 }).map((b) => b.name), ['last', 'snaive_day', 'holt_winters', 'fft'])
})
