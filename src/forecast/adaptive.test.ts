import t from 'tap'
import { adapt, adaptiveStateBytes, AdaptiveState, COMPONENTS, DEFAULT_ADAPTIVE, EVAL_HORIZONS, summarize, wantsShadow } from './adaptive.js'
import { adaptSeries } from './adaptive-series.js'
import { HORIZON_STEPS, RECENT_STEPS } from './windows.js'

/** A seeded random walk with noise, never negative. */
function walk(n: number, seed = 7): Float64Array {
  let s = seed
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
  const out = new Float64Array(n)
  let level = 100
  for (let i = 0; i < n; i++) {
    level = Math.max(10, level + (rnd() - 0.5) * 4)
    out[i] = level + (rnd() - 0.5) * 10
  }
  return out
}

/** A fake model from the window only: a constant factor times the mean of the last 10 rows, with a spread. */
function fakeModel(values: Float64Array, origins: number[], factor: number, spread: number): Float32Array {
  const q = new Float32Array(origins.length * HORIZON_STEPS * 3)
  origins.forEach((t, i) => {
    let m = 0
    for (let j = t - 9; j <= t; j++) m += values[j] ?? 0
    m = (m / 10) * factor
    for (let h = 0; h < HORIZON_STEPS; h++) q.set([m - spread, m, m + spread], (i * HORIZON_STEPS + h) * 3)
  })
  return q
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

function mae(values: Float64Array, origins: number[], q: Float32Array, h: number, from: number): number {
  let sum = 0
  let n = 0
  origins.forEach((t, i) => {
    if (t < from || t + h >= values.length) return
    sum += Math.abs((values[t + h] ?? 0) - (q[(i * HORIZON_STEPS + h - 1) * 3 + 1] ?? 0))
    n++
  })
  return sum / n
}

t.test('a biased model loses its weight: the served median is no worse than the best simple forecaster', async (t) => {
  const values = walk(3000)
  const origins = range(RECENT_STEPS, 2970)
  const model = fakeModel(values, origins, 1.3, 5)
  const { served, state } = adaptSeries(values, undefined, { origins, quantiles: model })
  const s = summarize(state)
  const k5 = EVAL_HORIZONS.indexOf(5)
  const K = EVAL_HORIZONS.length
  t.ok((s.weights[0 * K + k5] ?? 1) < 0.05, `model weight at 5 steps ${s.weights[k5]}`)
  const best = Math.min(...[1, 2, 3, 4, 5, 6].map((c) => s.relativeError[c * K + k5] ?? Infinity))
  t.ok(best < 0.5, 'some simple forecaster is far better than the biased model')
  t.ok(mae(values, origins, served, 5, 1000) < 0.6 * mae(values, origins, model, 5, 1000), 'served error well below the model\'s')
})

t.test('a good model keeps its weight and is served nearly unchanged', async (t) => {
  const values = walk(2000)
  const origins = range(RECENT_STEPS, 1970)
  // An oracle (it reads the future) stands in for a model that beats every simple forecaster.
  const model = new Float32Array(origins.length * HORIZON_STEPS * 3)
  origins.forEach((o, i) => {
    for (let h = 1; h <= HORIZON_STEPS; h++) {
      const v = values[o + h] ?? 0
      model.set([v - 3, v, v + 3], (i * HORIZON_STEPS + h - 1) * 3)
    }
  })
  const { served, state } = adaptSeries(values, undefined, { origins, quantiles: model })
  t.ok((summarize(state).weights[0] ?? 0) > 0.99, 'the model carries the weight')
  t.ok(mae(values, origins, served, 15, 500) < 0.05, 'served median is the model\'s')
})

t.test('calibration: a model whose p90 is far too narrow is widened until about 90 % of actuals fall below it', async (t) => {
  const values = walk(6000, 3)
  const origins = range(RECENT_STEPS, 5970)
  const model = fakeModel(values, origins, 1, 0.2)
  const { served } = adaptSeries(values, undefined, { origins, quantiles: model })
  const uncalibrated = adaptSeries(values, undefined, { origins, quantiles: model }, { ...DEFAULT_ADAPTIVE, calibrate: false }).served
  for (const h of [5, 15, 30]) {
    let covered = 0
    let rawCovered = 0
    let offCovered = 0
    let n = 0
    origins.forEach((o, i) => {
      if (o < 1500 || o + h >= values.length) return
      const a = values[o + h] ?? 0
      if (a <= (served[(i * HORIZON_STEPS + h - 1) * 3 + 2] ?? 0)) covered++
      if (a <= (model[(i * HORIZON_STEPS + h - 1) * 3 + 2] ?? 0)) rawCovered++
      if (a <= (uncalibrated[(i * HORIZON_STEPS + h - 1) * 3 + 2] ?? 0)) offCovered++
      n++
    })
    t.ok(rawCovered / n < 0.8, `raw coverage at ${h} is low (${(rawCovered / n).toFixed(3)})`)
    t.ok(offCovered / n < 0.8, `calibration off: still low (${(offCovered / n).toFixed(3)})`)
    t.ok(covered / n >= 0.85 && covered / n <= 0.95, `served p90 coverage at ${h} (calibrated by default): ${(covered / n).toFixed(3)}`)
  }
})

t.test('strictly causal: changing rows after an origin changes nothing served at or before it', async (t) => {
  const values = walk(1500, 11)
  const origins = range(RECENT_STEPS, 1470)
  const cut = 1000
  const a = adaptSeries(values, undefined, { origins, quantiles: fakeModel(values, origins, 1.1, 4), masked: fakeModel(values, origins, 0.95, 4) })
  const changed = Float64Array.from(values)
  for (let i = cut + 1; i < changed.length; i++) changed[i] = (changed[i] ?? 0) * 3 + 50
  // The model's forecasts at origins <= cut read rows <= cut only, so they are the same; later ones change.
  const b = adaptSeries(changed, undefined, { origins, quantiles: fakeModel(changed, origins, 1.1, 4), masked: fakeModel(changed, origins, 0.95, 4) })
  const upTo = origins.indexOf(cut) + 1
  const size = HORIZON_STEPS * 3
  t.same(b.served.subarray(0, upTo * size), a.served.subarray(0, upTo * size), 'identical up to the cut')
  t.not(b.served[(upTo + 40) * size + 1], a.served[(upTo + 40) * size + 1], 'and different after it (the test can fail)')
})

t.test('seasonal gate: masks the seasonal rows only where masking has helped this workload', async (t) => {
  const values = walk(4000, 5)
  const origins = range(RECENT_STEPS, 3970)
  const good = fakeModel(values, origins, 1, 4)
  const bad = fakeModel(values, origins, 1.25, 4)
  const harmful = adaptSeries(values, undefined, { origins, quantiles: bad, masked: good }).state
  t.equal(harmful.masked, true, 'rows that hurt are masked')
  t.ok(summarize(harmful).seasonal.compared >= DEFAULT_ADAPTIVE.gateMinCompared)
  const helpful = adaptSeries(values, undefined, { origins, quantiles: good, masked: bad }).state
  t.equal(helpful.masked, false, 'rows that help are kept')
  const none = adaptSeries(values, undefined, { origins, quantiles: bad }).state
  t.equal(none.masked, false, 'no masked variant, no masking')
})

t.test('shadow forecasts are staggered by phase and asked for only while a slot is free', async (t) => {
  const a = new AdaptiveState(0)
  const b = new AdaptiveState(3)
  const asked = (s: AdaptiveState): number => range(0, 100).filter((step) => wantsShadow(s, step)).length
  t.equal(asked(a), 100 / DEFAULT_ADAPTIVE.shadowEverySteps)
  t.not(range(0, 10).find((x) => wantsShadow(a, x)), range(0, 10).find((x) => wantsShadow(b, x)))
  a.shadowOrigin.fill(1)
  t.equal(asked(a), 0)
})

t.test('missing rows and a window without data serve finite or model values; the state stays under 2 KB', async (t) => {
  const s = new AdaptiveState()
  const out = new Float32Array(HORIZON_STEPS * 3)
  const model = new Float32Array(HORIZON_STEPS * 3).fill(7)
  const window = new Float64Array(RECENT_STEPS).fill(5)
  window[10] = NaN
  window[59] = NaN
  adapt(s, { originStep: 1000, window, model }, out)
  t.ok(out.every(Number.isFinite))
  adapt(s, { originStep: 1001, window: new Float64Array(RECENT_STEPS).fill(NaN), model }, out)
  t.same([...out], [...model], 'nothing to weigh against: the model as it is')
  t.ok(adaptiveStateBytes() < 2048, `${adaptiveStateBytes()} bytes`)
  t.equal(COMPONENTS[0], 'model')
})

t.test('a negative series keeps its sign: with every weight on the model the served median is the model\'s', (t) => {
  const s = new AdaptiveState()
  const window = new Float64Array(RECENT_STEPS).fill(-20)
  const model = new Float32Array(HORIZON_STEPS * 3)
  for (let h = 0; h < HORIZON_STEPS; h++) model.set([-22, -20, -18], h * 3)
  const out = new Float32Array(HORIZON_STEPS * 3)
  adapt(s, { originStep: 1000, window, model }, out)
  t.equal(out[1], -20, 'p50 at h=1')
  t.ok((out[0] ?? 0) < -20 && (out[2] ?? 0) > -20 && (out[2] ?? 0) < 0, `p10 ${out[0]} < p50 < p90 ${out[2]} < 0`)
  t.end()
})

t.test('the band the replica rule provisions for is the uncalibrated p90, whatever the calibration has learnt', async (t) => {
  const values = walk(3000, 5)
  const origins = range(RECENT_STEPS, 2970)
  const model = fakeModel(values, origins, 1, 0.2)
  const size = HORIZON_STEPS * 3
  const on = new AdaptiveState()
  const off = new AdaptiveState()
  const window = new Float64Array(RECENT_STEPS)
  const served = new Float32Array(size)
  const uncalibrated = new Float32Array(size)
  const band = new Float32Array(HORIZON_STEPS)
  let widened = 0
  for (const [i, o] of origins.entries()) {
    for (let j = 0; j < RECENT_STEPS; j++) window[j] = values[o - RECENT_STEPS + 1 + j] ?? NaN
    const q = model.subarray(i * size, (i + 1) * size)
    adapt(on, { originStep: o, window, model: q }, served, DEFAULT_ADAPTIVE, band)
    adapt(off, { originStep: o, window, model: q }, uncalibrated, { ...DEFAULT_ADAPTIVE, calibrate: false })
    for (let h = 0; h < HORIZON_STEPS; h++) {
      if (band[h] !== uncalibrated[h * 3 + 2]) return t.fail(`origin ${o}, step ${h + 1}: band ${band[h]} against the uncalibrated p90 ${uncalibrated[h * 3 + 2]}`)
      if ((served[h * 3 + 2] ?? 0) > (band[h] ?? 0) + 1e-6) widened++
    }
  }
  t.ok(widened > 1000, `the served p90 was widened above the band at ${widened} points: the calibration acted, the band did not follow`)
})
