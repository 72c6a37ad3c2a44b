import t from 'tap'
import { WINDOW_COMPONENTS, WindowComponents } from './window-components.js'
import { MovingAverage } from './smoothing.js'

const idx = (name: string): number => WINDOW_COMPONENTS.indexOf(name as (typeof WINDOW_COMPONENTS)[number])

t.test('moving averages and last value from any origin match the online forecasters fed the same rows', async (t) => {
  const rows = Array.from({ length: 60 }, (_, i) => 10 + ((i * 7) % 13))
  const wc = new WindowComponents(60, 30)
  t.ok(wc.prepare(rows))
  for (const origin of [14, 29, 44, 59]) {
    const ma = new MovingAverage(15)
    rows.slice(0, origin + 1).forEach((v) => ma.observe(v))
    t.equal(wc.forecast(idx('moving_avg_15'), origin, 5), ma.forecast(1)[0], `ma15 at row ${origin}`)
    t.equal(wc.forecast(idx('last'), origin, 30), rows[origin], `last at row ${origin}`)
  }
})

t.test('missing rows are carried forward; an empty window cannot be forecast from', async (t) => {
  const wc = new WindowComponents(60, 30)
  t.notOk(wc.prepare(new Float64Array(60).fill(NaN)))
  const rows = new Float64Array(60).fill(5)
  rows[0] = NaN
  rows[59] = NaN
  t.ok(wc.prepare(rows))
  for (let c = 0; c < WINDOW_COMPONENTS.length; c++) t.equal(wc.forecast(c, 59, 10), 5, WINDOW_COMPONENTS[c] ?? '')
  t.equal(wc.meanAbsStep(), 0)
})

t.test('damped Holt follows a trend and levels off; SES lags it', async (t) => {
  const rows = Array.from({ length: 60 }, (_, i) => 100 + 2 * i)
  const wc = new WindowComponents(60, 30)
  wc.prepare(rows)
  const h1 = wc.forecast(idx('holt_damped'), 59, 1)
  const h30 = wc.forecast(idx('holt_damped'), 59, 30)
  t.ok(h30 > h1, 'the trend continues')
  t.ok(h30 - h1 < 29 * 2, 'damped: less than the undamped trend')
  t.ok(wc.forecast(idx('ses'), 59, 1) < 218, 'SES lags the last value on a ramp')
})
