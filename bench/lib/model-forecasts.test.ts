import t from 'tap'
import { existsSync } from 'node:fs'
import { createForecasterSession } from '../../src/model/onnx.js'
import { defaultModelPath } from './model-files.js'
import { forecastAtOrigins } from './model-forecasts.js'

t.test('batched origins match one-by-one runs and skip short windows', { skip: existsSync(defaultModelPath()) ? false : 'model artifact not present' }, async (t) => {
  const session = await createForecasterSession()
  const values = Float64Array.from({ length: 400 }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 48))
  const all = await forecastAtOrigins(session, values, [10, 100, 150, 399], 48, 336, 2)
  t.same([...all.origins], [100, 150, 399])
  t.equal(all.quantiles.length, 3 * 30 * 3)
  const one = await forecastAtOrigins(session, values, [150], 48, 336, 1)
  const diff = one.quantiles.reduce((m, v, i) => Math.max(m, Math.abs(v - (all.quantiles[90 + i] ?? NaN))), 0)
  t.ok(diff < 1e-4, `origin 150 (slot 1 of the batched run): same forecast in a batch and alone (max diff ${diff})`)
})
