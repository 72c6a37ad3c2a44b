/**
 * Per-workload online adaptation of the served forecast. The model's median is weighed against simple forecasters
 * computed from the same recent window (window-components.ts) by their recent absolute error on this workload's own
 * actuals; the served p10/p90 are recalibrated online so the p90 covers about 90 % of what arrives; and the seasonal
 * input rows are masked for a workload on which they have been doing harm. Everything is strictly causal: a forecast
 * is scored only once the actual it predicted is in a later window, and nothing in a window after its newest row is
 * read. The engine, the backtest, bench:autoscale (through the engine) and bench:forecast all call `adapt` below.
 *
 * The state lives in memory only: a restart, or a policy new to this process, starts afresh (model alone until
 * enough forecasts have been scored).
 */
import { HORIZON_STEPS } from './windows.js'
import { WINDOW_COMPONENTS, WindowComponents } from './window-components.js'
import { DayShape } from './day-shape.js'
import { float32s, float64s } from '../util/slab.js'

/** The horizons (in steps) at which forecasts are scored; weights and calibration are interpolated between them. */
export const EVAL_HORIZONS = [1, 5, 15, 30] as const
export const COMPONENTS = ['model', ...WINDOW_COMPONENTS, 'seasonal_shape'] as const
const C = COMPONENTS.length
/**
 * The component read from the day-ago and week-ago rows (their mean change when both are there: one noisy day is
 * halved, and on the validation rows one component did better than one per row); absent for a workload with no
 * history that far back.
 */
const SEASONAL = C - 1
const K = EVAL_HORIZONS.length
/** Pending entries: a ring of h origins per scored horizon h. */
const PENDING_OFFSETS = EVAL_HORIZONS.map((_, k) => EVAL_HORIZONS.slice(0, k).reduce((a, b) => a + b, 0))
const PENDING = EVAL_HORIZONS.reduce((a, b) => a + b, 0)
/** An origin needs this many window rows before it for its window components to be scored. */
const MIN_ORIGIN_ROWS = 15

export interface AdaptiveParams {
  /** Effective number of recent scored targets the losses average over (exponential weighting). */
  lossWindow: number
  /** How sharply weight goes to the best: weight = exp(-temperature * (loss / best loss - 1)). */
  temperature: number
  /** Scored targets per horizon before anything but the model is served. */
  minScored: number
  /**
   * Recalibrate the served p10/p90 online, so that about 90 % of a workload's actuals fall below its p90. The
   * replica rule does not read them: it provisions for `band` (see `adapt`), the model's own spread around the
   * adapted median, which the calibration leaves alone.
   */
  calibrate: boolean
  /** Step of the online quantile tracking, in units of the model's own spread. */
  calibrationRate: number
  /** Target share of actuals above the served p90 (and below the p10). */
  missRate: number
  /** The other seasonal variant is also forecast at one origin in this many, for the gate. */
  shadowEverySteps: number
  /** Relative loss reduction masking must show before the seasonal rows are masked. */
  gateMargin: number
  gateMinCompared: number
  /** seasonal_shape: rows averaged for the level today and a period ago, and rows on each side of the target a period ago averaged. */
  seasonalLevelSteps: number
  seasonalSmoothSteps: number
}

/**
 * lossWindow and temperature were chosen on the validation rows of models/split.json (`npm run bench:forecast --
 * --validation --adaptive '{...}'`, temperature 3, 10, 30, 100 and lossWindow 240, 1000): the sharpest weighting
 * with the longest memory did best; the rest are set a priori.
 */
export const DEFAULT_ADAPTIVE: AdaptiveParams = {
  lossWindow: 1000,
  temperature: 100,
  minScored: 30,
  calibrate: true,
  calibrationRate: 0.05,
  missRate: 0.1,
  shadowEverySteps: 10,
  gateMargin: 0.03,
  gateMinCompared: 30,
  seasonalLevelSteps: 15,
  seasonalSmoothSteps: 2,
}

const MAX_SCALE = 100

// Layout of a state's two typed arrays (two, not one per field: each typed array costs V8 about 100 bytes).
const SCORED = 0
const LOSS = SCORED + K
const UPPER = LOSS + C * K
const LOWER = UPPER + K
const COV = LOWER + K
const PORIGIN = COV + K
const SORIGIN = PORIGIN + PENDING
const LAST = SORIGIN + K
const GATE_N = LAST + 1
const GATE_BASE = GATE_N + 1
const GATE_DIFF = GATE_BASE + 1
const MASKED = GATE_DIFF + 1
const F64 = MASKED + 1
/** In the Float32Array: per pending entry model p50, served p10, served p90; then per scored horizon the p50 with the seasonal rows and with them masked. */
const SVAL = PENDING * 3
const F32 = SVAL + K * 2

/** One policy's adaptation state: about 1.4 KB in two typed arrays (adaptiveStateBytes). */
export class AdaptiveState {
  readonly f = float64s(F64)
  readonly v = float32s(F32)

  /** `phase` staggers the shadow forecasts of many policies over refreshes. */
  constructor(readonly phase = 0) {
    this.f.fill(1, UPPER, COV)
    // No error yet for a component that may never be available: no weight until it has been scored once.
    this.f.fill(NaN, LOSS + SEASONAL * K, LOSS + (SEASONAL + 1) * K)
    this.f.fill(NaN, PORIGIN, LAST)
    this.f[LAST] = -Infinity
  }

  get lastScoredStep(): number { return this.f[LAST] ?? -Infinity }
  set lastScoredStep(x: number) { this.f[LAST] = x }
  /** Seasonal gate: whether the model runs with its seasonal rows masked for this workload. */
  get masked(): boolean { return this.f[MASKED] === 1 }
  set masked(x: boolean) { this.f[MASKED] = x ? 1 : 0 }
  get gateCompared(): number { return this.f[GATE_N] ?? 0 }
  set gateCompared(x: number) { this.f[GATE_N] = x }
  /** Exponentially weighted |error| with the seasonal rows, and of the difference (with - masked). */
  get gateBase(): number { return this.f[GATE_BASE] ?? 0 }
  set gateBase(x: number) { this.f[GATE_BASE] = x }
  get gateDiff(): number { return this.f[GATE_DIFF] ?? 0 }
  set gateDiff(x: number) { this.f[GATE_DIFF] = x }
  // Views for tests and explain (made on demand: the refresh path indexes the arrays directly).
  /** Forecasts scored per horizon. */
  get scored(): Float64Array { return this.f.subarray(SCORED, SCORED + K) }
  /** Exponentially weighted mean absolute error per component and scored horizon ([c * K + k]). */
  get loss(): Float64Array { return this.f.subarray(LOSS, LOSS + C * K) }
  /** Calibration: served p90 = median + upper[k] * the model's (p90 - p50); p10 likewise below. */
  get upper(): Float64Array { return this.f.subarray(UPPER, UPPER + K) }
  get lower(): Float64Array { return this.f.subarray(LOWER, LOWER + K) }
  /** Recent share of actuals at or below the served p90, per scored horizon. */
  get coverage(): Float64Array { return this.f.subarray(COV, COV + K) }
  get shadowOrigin(): Float64Array { return this.f.subarray(SORIGIN, SORIGIN + K) }
}

/** Bytes of typed-array storage per policy (the object and its fields add a few hundred bytes in V8). */
export function adaptiveStateBytes(s: AdaptiveState = new AdaptiveState()): number {
  return s.f.byteLength + s.v.byteLength
}

export interface AdaptiveInput {
  /** Step index of the window's newest row (time / step): forecasts are for originStep + h. */
  originStep: number
  /** The recent window as read, oldest first, newest at originStep; NaN where no sample arrived. */
  window: ArrayLike<number>
  /** The model's quantiles for horizons 1..HORIZON_STEPS, [h-1][p10, p50, p90], run as `state.masked` says. */
  model: ArrayLike<number>
  /** When the shadow was asked for (wantsShadow): the model run with the other seasonal setting. */
  shadow?: ArrayLike<number>
  /** The day-ago and week-ago rows the model was given (windows.ts: SEASONAL_STEPS rows each), NaN where missing. */
  day?: ArrayLike<number>
  week?: ArrayLike<number>
}

/** Whether this origin should also forecast the other seasonal setting (only useful when seasonal rows exist). */
export function wantsShadow(s: AdaptiveState, originStep: number, p: AdaptiveParams = DEFAULT_ADAPTIVE): boolean {
  if ((((originStep + s.phase) % p.shadowEverySteps) + p.shadowEverySteps) % p.shadowEverySteps !== 0) return false
  for (let k = 0; k < K; k++) if (Number.isNaN(s.f[SORIGIN + k])) return true
  return false
}

const components = new WindowComponents(120, HORIZON_STEPS)
let dayShape = new DayShape(DEFAULT_ADAPTIVE.seasonalLevelSteps, DEFAULT_ADAPTIVE.seasonalSmoothSteps)
let weekShape = new DayShape(DEFAULT_ADAPTIVE.seasonalLevelSteps, DEFAULT_ADAPTIVE.seasonalSmoothSteps)
const weights = new Float64Array(C * K)

/** Component c's forecast made at window row `row` for h steps later (c > 0: the simple forecasters). */
function componentForecast(c: number, row: number, h: number): number {
  if (c < SEASONAL) return components.forecast(c - 1, row, h)
  const back = components.length - 1 - row
  const d = dayShape.change(back, h)
  const w = weekShape.change(back, h)
  const change = Number.isFinite(d) ? (Number.isFinite(w) ? (d + w) / 2 : d) : w
  return components.mean(row, dayShape.levelSteps) + change
}

/**
 * Scores the forecasts whose actuals arrived in `input.window`, updates the weights, the calibration and the
 * seasonal gate, and writes the served quantiles ([h-1][p10, p50, p90], the model's layout) into `out`.
 *
 * `band`, when given, gets the upper edge the replica rule provisions for, per horizon: the adapted median plus
 * the model's own (p90 - p50), uncalibrated. On NASA's validation segment the calibrated p90 (coverage 0.90 instead
 * of 0.92) left Foresight more under-provisioned at equal replica-minutes than a reactive HPA (frontier ratios 0.654
 * / 0.525 / 0.384 at reactive 90 / 80 / 70 %, against 0.646 / 0.480 / 0.309; docs/benchmarks.md): the model's
 * spread is wider where it is unsure, which a rule with a cost knob uses better than a spread scaled to a coverage.
 */
export function adapt(s: AdaptiveState, input: AdaptiveInput, out: Float32Array | Float64Array, p: AdaptiveParams = DEFAULT_ADAPTIVE, band?: Float32Array | Float64Array): void {
  const { window, model, originStep } = input
  if (!components.prepare(window)) {
    for (let i = 0; i < HORIZON_STEPS * 3; i++) out[i] = model[i] ?? NaN
    if (band !== undefined) for (let h = 0; h < HORIZON_STEPS; h++) band[h] = model[h * 3 + 2] ?? NaN
    return
  }
  if (dayShape.levelSteps !== p.seasonalLevelSteps || dayShape.smoothSteps !== p.seasonalSmoothSteps) {
    dayShape = new DayShape(p.seasonalLevelSteps, p.seasonalSmoothSteps)
    weekShape = new DayShape(p.seasonalLevelSteps, p.seasonalSmoothSteps)
  }
  dayShape.prepare(input.day)
  weekShape.prepare(input.week)
  const n = components.length
  const rowOf = (step: number): number => n - 1 - (originStep - step)
  score(s, window, rowOf, Math.max(s.lastScoredStep + 1, originStep - n + 1), originStep, p)
  if (originStep > s.lastScoredStep) s.lastScoredStep = originStep
  computeWeights(s, p)
  const floor = 0.1 * components.meanAbsStep() + 1e-9
  for (let h = 1; h <= HORIZON_STEPS; h++) {
    const [k0, k1, f] = bracket(h)
    const o = (h - 1) * 3
    const mp10 = model[o] ?? NaN
    const mp50 = model[o + 1] ?? NaN
    const mp90 = model[o + 2] ?? NaN
    let m = 0
    let wSum = 0
    for (let c = 0; c < C; c++) {
      const w = (1 - f) * (weights[c * K + k0] ?? 0) + f * (weights[c * K + k1] ?? 0)
      if (w <= 0) continue
      const x = c === 0 ? mp50 : componentForecast(c, n - 1, h)
      // A component without its input this time (no day-ago row) gives its weight to the others.
      if (c === 0 || Number.isFinite(x)) {
        m += w * x
        wSum += w
      }
    }
    m = wSum > 0 ? m / wSum : mp50
    const up = Math.max(mp90 - mp50, floor)
    const lo = Math.max(mp50 - mp10, floor)
    const qu = (1 - f) * (s.f[UPPER + k0] ?? 1) + f * (s.f[UPPER + k1] ?? 1)
    const ql = (1 - f) * (s.f[LOWER + k0] ?? 1) + f * (s.f[LOWER + k1] ?? 1)
    // No clamp at zero: the adaptation keeps the model's range (a series may be negative; the replica rule
    // already treats a load <= 0 as needing nothing), so with every weight on the model it serves the model.
    out[o] = m - ql * lo
    out[o + 1] = m
    out[o + 2] = m + qu * up
    if (band !== undefined) band[h - 1] = m + up
  }
  remember(s, input, out)
}

/** The scored horizons around h and the interpolation weight of the upper one. */
function bracket(h: number): [number, number, number] {
  if (h <= EVAL_HORIZONS[0]) return [0, 0, 0]
  for (let k = 1; k < K; k++) {
    const hi = EVAL_HORIZONS[k] ?? HORIZON_STEPS
    const lo = EVAL_HORIZONS[k - 1] ?? 1
    if (h <= hi) return [k - 1, k, (h - lo) / (hi - lo)]
  }
  return [K - 1, K - 1, 0]
}

function score(s: AdaptiveState, window: ArrayLike<number>, rowOf: (step: number) => number, from: number, to: number, p: AdaptiveParams): void {
  for (let step = from; step <= to; step++) {
    const actual = window[rowOf(step)] ?? NaN
    if (!Number.isFinite(actual)) continue
    for (let k = 0; k < K; k++) {
      const h = EVAL_HORIZONS[k] ?? 1
      const origin = step - h
      const row = rowOf(origin)
      const slot = (PENDING_OFFSETS[k] ?? 0) + (((origin % h) + h) % h)
      if (s.f[PORIGIN + slot] === origin && row >= MIN_ORIGIN_ROWS - 1) {
        const rate = 1 / Math.min((s.f[SCORED + k] ?? 0) + 1, p.lossWindow)
        s.f[SCORED + k] = (s.f[SCORED + k] ?? 0) + 1
        for (let c = 0; c < C; c++) {
          const f = c === 0 ? (s.v[slot * 3] ?? NaN) : componentForecast(c, row, h)
          const i = c * K + k
          const err = Math.abs(actual - f)
          if (c === SEASONAL && !Number.isFinite(err)) continue
          const prev = s.f[LOSS + i] ?? NaN
          s.f[LOSS + i] = Number.isNaN(prev) ? err : prev + rate * (err - prev)
        }
        // Online quantile tracking (as in adaptive conformal inference): a miss widens, a hit narrows, so the long-run
        // share of misses goes to missRate whatever the distribution.
        const below = actual < (s.v[slot * 3 + 1] ?? NaN) ? 1 : 0
        const above = actual > (s.v[slot * 3 + 2] ?? NaN) ? 1 : 0
        if (p.calibrate) s.f[UPPER + k] = Math.min(MAX_SCALE, Math.max(0, (s.f[UPPER + k] ?? 1) + p.calibrationRate * (above - p.missRate)))
        if (p.calibrate) s.f[LOWER + k] = Math.min(MAX_SCALE, Math.max(0, (s.f[LOWER + k] ?? 1) + p.calibrationRate * (below - p.missRate)))
        s.f[COV + k] = (s.f[COV + k] ?? 0) + rate * (1 - above - (s.f[COV + k] ?? 0))
        s.f[PORIGIN + slot] = NaN
      }
      if (s.f[SORIGIN + k] === origin) {
        const withRows = Math.abs(actual - (s.v[SVAL + k * 2] ?? NaN))
        const masked = Math.abs(actual - (s.v[SVAL + k * 2 + 1] ?? NaN))
        if (Number.isFinite(withRows) && Number.isFinite(masked)) {
          const rate = 1 / Math.min(s.gateCompared + 1, p.lossWindow)
          s.gateCompared++
          s.gateBase += rate * (withRows - s.gateBase)
          s.gateDiff += rate * (withRows - masked - s.gateDiff)
        }
        s.f[SORIGIN + k] = NaN
      }
    }
  }
  if (s.gateCompared >= p.gateMinCompared && s.gateBase > 0) {
    const gain = s.gateDiff / s.gateBase
    // Hysteresis: masking must have helped by a margin to start, and stops once it no longer helps at all.
    if (!s.masked && gain > p.gateMargin) s.masked = true
    else if (s.masked && gain < 0) s.masked = false
  }
}

function computeWeights(s: AdaptiveState, p: AdaptiveParams): void {
  for (let k = 0; k < K; k++) {
    if ((s.f[SCORED + k] ?? 0) < p.minScored) {
      for (let c = 0; c < C; c++) weights[c * K + k] = c === 0 ? 1 : 0
      continue
    }
    let best = Infinity
    for (let c = 0; c < C; c++) {
      const l = s.f[LOSS + c * K + k] ?? NaN
      if (l < best) best = l
    }
    let sum = 0
    for (let c = 0; c < C; c++) {
      const l = s.f[LOSS + c * K + k] ?? NaN
      const w = !Number.isFinite(l) ? 0 : best <= 1e-12 ? (l <= 1e-12 ? 1 : 0) : Math.exp(-p.temperature * (l / best - 1))
      weights[c * K + k] = w
      sum += w
    }
    for (let c = 0; c < C; c++) weights[c * K + k] = sum > 0 ? (weights[c * K + k] ?? 0) / sum : c === 0 ? 1 : 0
  }
}

function remember(s: AdaptiveState, input: AdaptiveInput, served: ArrayLike<number>): void {
  const { originStep, model, shadow } = input
  for (let k = 0; k < K; k++) {
    const h = EVAL_HORIZONS[k] ?? 1
    const slot = (PENDING_OFFSETS[k] ?? 0) + (((originStep % h) + h) % h)
    const o = (h - 1) * 3
    s.f[PORIGIN + slot] = originStep
    s.v[slot * 3] = model[o + 1] ?? NaN
    s.v[slot * 3 + 1] = served[o] ?? NaN
    s.v[slot * 3 + 2] = served[o + 2] ?? NaN
    if (shadow !== undefined && Number.isNaN(s.f[SORIGIN + k])) {
      s.f[SORIGIN + k] = originStep
      s.v[SVAL + k * 2] = (s.masked ? shadow[o + 1] : model[o + 1]) ?? NaN
      s.v[SVAL + k * 2 + 1] = (s.masked ? model[o + 1] : shadow[o + 1]) ?? NaN
    }
  }
}

/** What `foresight explain` shows of the adaptation: plain numbers, per scored horizon (EVAL_HORIZONS). */
export interface AdaptiveSummary {
  /** Forecasts scored against their actuals so far, per scored horizon. */
  scored: number[]
  /** Weight of each of COMPONENTS per scored horizon, [c * 3 + k]. */
  weights: number[]
  /** Recent mean absolute error of each component relative to the model's, [c * 3 + k] (1 = as good as the model). */
  relativeError: number[]
  /** Calibration scales of the served p90 and p10 (1 = the model's own spread) and the recent p90 coverage. */
  upperScale: number[]
  lowerScale: number[]
  coverage: number[]
  /** Whether the calibration is on (engine.forecastCalibration); off, the scales stay 1. */
  calibrated: boolean
  seasonal: { masked: boolean; compared: number; gain: number }
}

export function summarize(s: AdaptiveState, p: AdaptiveParams = DEFAULT_ADAPTIVE): AdaptiveSummary {
  computeWeights(s, p)
  const r3 = (x: number): number => Math.round(x * 1000) / 1000
  const rel: number[] = []
  const loss = s.loss
  for (let i = 0; i < C * K; i++) {
    const m = loss[i % K] ?? 0
    rel.push(m > 0 ? r3((loss[i] ?? 0) / m) : 1)
  }
  return {
    scored: [...s.scored],
    weights: [...weights].map(r3),
    relativeError: rel,
    upperScale: [...s.upper].map(r3),
    lowerScale: [...s.lower].map(r3),
    coverage: [...s.coverage].map(r3),
    calibrated: p.calibrate,
    seasonal: { masked: s.masked, compared: s.gateCompared, gain: r3(s.gateBase > 0 ? s.gateDiff / s.gateBase : 0) },
  }
}
