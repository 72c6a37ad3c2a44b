import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { allocateBatch, HORIZON_STEPS, RECENT_STEPS } from '../forecast/windows.js'
import { packageRoot } from '../util/paths.js'
import { createForecasterSession, runForecastBatch } from './onnx.js'
import { loadModel, ModelLoadError } from './runtime.js'

const onnx = join(packageRoot(), 'models/foresight-forecaster.onnx')
const meta = join(packageRoot(), 'models/foresight-forecaster.json')
const dir = mkdtempSync(join(tmpdir(), 'foresight-model-'))

t.test('the committed model loads and forecasts a batch', async (t) => {
  const model = await loadModel(onnx, meta)
  t.teardown(() => model.close())
  t.match(model.meta.version, /^\d+\.\d+\.\d+/)
  const batch = allocateBatch(2)
  for (let i = 0; i < RECENT_STEPS; i++) { batch.recent[i] = 100 + 10 * Math.sin(i / 5); batch.recent[RECENT_STEPS + i] = 5 }
  const q = await model.forecast(batch, 2)
  t.equal(q.length, 2 * HORIZON_STEPS * 3)
  const p10 = q[0] ?? NaN
  const p50 = q[1] ?? NaN
  const p90 = q[2] ?? NaN
  t.ok(p10 <= p50 && p50 <= p90, 'quantiles are ordered')
  t.ok(p50 > 50 && p50 < 150, `a level near 100 forecasts near 100 (p50 ${p50})`)
  const flat = q[HORIZON_STEPS * 3 + 1] ?? NaN
  t.ok(Math.abs(flat - 5) < 1, `a flat 5 stays near 5 (p50 ${flat})`)
})

t.test('a large batch runs in slices with the same quantiles as one run', async (t) => {
  const model = await loadModel(onnx, meta)
  const session = await createForecasterSession(onnx)
  t.teardown(async () => { await model.close(); await session.release() })
  // More windows than one slice holds, not a multiple of it; each window its own level and wiggle.
  const count = 1234
  const batch = allocateBatch(count)
  for (let w = 0; w < count; w++) {
    for (let i = 0; i < RECENT_STEPS; i++) batch.recent[w * RECENT_STEPS + i] = 10 + (w % 97) + 5 * Math.sin((i + w) / 4)
  }
  const sliced = await model.forecast(batch, count)
  const whole = await runForecastBatch(session, batch, count)
  t.equal(sliced.length, whole.length)
  let worst = 0
  for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs((sliced[i] ?? NaN) - (whole[i] ?? NaN)))
  t.ok(worst <= 1e-4, `largest difference ${worst}`)
  const last = (count - 1) * HORIZON_STEPS * 3 + 1
  t.not(sliced[last], sliced[1], 'the last window is its own, not a copy of the first')
})

const bad: Array<[string, () => [string, string], RegExp]> = [
  ['corrupt model bytes', () => {
    const f = join(dir, 'corrupt.onnx')
    const bytes = readFileSync(onnx)
    bytes.fill(7, 100, 4000)
    writeFileSync(f, bytes)
    return [f, meta]
  }, /sha256 [0-9a-f]+ does not match/],
  ['corrupt model with matching metadata', () => {
    const f = join(dir, 'garbage.onnx')
    writeFileSync(f, 'this is not an onnx graph')
    const m = join(dir, 'garbage.json')
    const sha = createHash('sha256').update('this is not an onnx graph').digest('hex')
    writeFileSync(m, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')) as object, onnx_sha256: sha }))
    return [f, m]
  }, /onnxruntime could not open it/],
  ['missing file', () => [join(dir, 'absent.onnx'), meta], /file not found/],
  ['missing metadata', () => [onnx, join(dir, 'absent.json')], /metadata .* is missing or not JSON/],
  ['wrong window in metadata', () => {
    const m = join(dir, 'window.json')
    writeFileSync(m, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')) as object, window: 30 }))
    return [onnx, m]
  }, /metadata .*: window: /],
]
for (const [name, setup, re] of bad) {
  t.test(name, async (t) => {
    const [o, m] = setup()
    const err = await t.rejects(loadModel(o, m))
    t.type(err, ModelLoadError)
    t.match((err as Error).message, /^unable to load model /)
    t.match((err as Error).message, re)
  })
}

