import t from 'tap'
import type { PointForecaster } from '../forecast/baselines.js'
import { fromRows } from './load.js'
import { ForecasterStrategy, ReactiveStrategy } from './strategies.js'

const load = fromRows(Float64Array.from([1, 2, NaN, 4, 8, 6]), 0, 60_000)

t.test('reactive: the rate over its window of complete samples, against the capacity', async (t) => {
  const oneMinute = new ReactiveStrategy('r', load, 0.5, 60)
  t.equal(await oneMinute.metrics(30_000), undefined, 'no complete sample yet: the metrics API errors')
  t.same(await oneMinute.metrics(119_000), [{ value: 1, averageValue: 0.5 }], 'at 1:59 only [0:00, 1:00) is complete')
  t.same(await oneMinute.metrics(300_000), [{ value: 8, averageValue: 0.5 }])
  const twoMinutes = new ReactiveStrategy('r2', load, 0.5, 120)
  t.same(await twoMinutes.metrics(300_000), [{ value: 6, averageValue: 0.5 }], 'mean of 4 and 8')
  t.same(await twoMinutes.metrics(240_000), [{ value: 4, averageValue: 0.5 }], 'a gap is left out of the mean')
})

class Spy implements PointForecaster {
  readonly name = 'spy'
  seen: number[] = []
  observe(v: number): void {
    this.seen.push(v)
  }

  forecast(h: number): Float64Array {
    // Forecasts 3 for every horizon: below a present of 4, above a present of 2.
    return new Float64Array(h).fill(3)
  }
}

t.test('forecaster: fed each complete sample once, serves max(peak forecast, present)', async (t) => {
  const spy = new Spy()
  const s = new ForecasterStrategy('f', load, spy, 5, 0.5)
  t.same(await s.metrics(120_000), [{ value: 3, averageValue: 0.5 }], 'present 2, forecast 3')
  t.same(spy.seen, [1, 2], 'only samples stamped at or before now')
  await s.metrics(135_000)
  t.equal(spy.seen.length, 2, 'no new sample, nothing fed again')
  t.same(await s.metrics(240_000), [{ value: 4, averageValue: 0.5 }], 'present 4 beats the forecast')
  t.equal(spy.seen.length, 4)
  t.ok(Number.isNaN(spy.seen[2] ?? 0), 'a gap is passed on as NaN')
})
