/**
 * The serving cost of the per-workload adaptation (src/forecast/adaptive.ts) at 10,000 policies: heap bytes per
 * policy's state and the time of one refresh's adaptation of every policy (one new actual each, as at a 1-minute
 * step, with the day-ago and week-ago rows). Run: npm run build:bench && node --expose-gc dist-bench/bench/adaptive.js
 */
import { adapt, adaptiveStateBytes, AdaptiveState } from '../src/forecast/adaptive.js'
import { HORIZON_STEPS, RECENT_STEPS, SEASONAL_LEAD_STEPS, SEASONAL_STEPS } from '../src/forecast/windows.js'

const POLICIES = Number(process.env.BENCH_POLICIES ?? '10000')
const REFRESHES = 60
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

gc()
const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers }
const before = used()
const states = Array.from({ length: POLICIES }, (_, i) => new AdaptiveState(i))
gc()
const perState = (used() - before) / POLICIES

// Each policy: a noisy wave of its own; the "model" forecasts a smoothed copy with a spread.
const series = (i: number, t: number): number => 100 + 30 * Math.sin((t + i * 7) / 90) + ((t * 7919 + i * 104729) % 97) / 10
// The windows and model outputs are made before the clock starts: only the adaptation is timed.
const windows = new Float64Array(POLICIES * RECENT_STEPS)
const models = new Float32Array(POLICIES * HORIZON_STEPS * 3)
// The day-ago and week-ago rows the engine reads for the model (and seasonal_shape), as at a 1-minute step.
const PERIODS = [1440, 10080]
const seasonal = PERIODS.map(() => new Float64Array(POLICIES * SEASONAL_STEPS))
const out = new Float32Array(HORIZON_STEPS * 3)
const times: number[] = []
for (let r = 0; r < REFRESHES; r++) {
  const t = 1000 + r
  for (let i = 0; i < POLICIES; i++) {
    for (let j = 0; j < RECENT_STEPS; j++) windows[i * RECENT_STEPS + j] = series(i, t - RECENT_STEPS + 1 + j)
    PERIODS.forEach((p, r) => {
      const first = t - p - (SEASONAL_STEPS - SEASONAL_LEAD_STEPS - 1)
      for (let j = 0; j < SEASONAL_STEPS; j++) (seasonal[r] as Float64Array)[i * SEASONAL_STEPS + j] = series(i, first + j)
    })
    const m = series(i, t)
    for (let h = 0; h < HORIZON_STEPS; h++) models.set([m - 5, m, m + 5], (i * HORIZON_STEPS + h) * 3)
  }
  const started = performance.now()
  for (let i = 0; i < POLICIES; i++) {
    const window = windows.subarray(i * RECENT_STEPS, (i + 1) * RECENT_STEPS)
    const model = models.subarray(i * HORIZON_STEPS * 3, (i + 1) * HORIZON_STEPS * 3)
    const [day, week] = seasonal.map((rows) => rows.subarray(i * SEASONAL_STEPS, (i + 1) * SEASONAL_STEPS))
    adapt(states[i] ?? new AdaptiveState(), { originStep: t, window, model, ...(day !== undefined ? { day } : {}), ...(week !== undefined ? { week } : {}) }, out)
  }
  times.push(performance.now() - started)
}
times.sort((a, b) => a - b)
console.log(`bench:adaptive  ${new Date().toISOString()}  node ${process.version}  ${POLICIES} policies, ${REFRESHES} refreshes`)
console.log(`state per policy: ${adaptiveStateBytes()} bytes of typed arrays; ${perState.toFixed(0)} bytes measured (heap and array buffers, ${POLICIES} states created, after GC)`)
console.log(`adaptation of every policy per refresh : median ${(times[Math.floor(times.length / 2)] ?? NaN).toFixed(1)} ms, max ${(times.at(-1) ?? NaN).toFixed(1)} ms`)
