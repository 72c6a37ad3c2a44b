/**
 * The simple forecasters a user already has at hand: a moving average and the exponential-smoothing family
 * (simple exponential smoothing, Holt's damped trend). Like the other baselines they are strictly online, and
 * their parameters are chosen by grid search on rows before the evaluated segment only (`fitByGrid`).
 */
import type { PointForecaster } from './point-forecaster.js'
import { Ring } from './ring.js'

/** Mean of the last `windowSteps` valid observations, flat over every horizon. */
export class MovingAverage implements PointForecaster {
  readonly name = 'moving_avg'
  private readonly ring: Ring
  private sum = 0

  constructor(readonly windowSteps: number) {
    this.ring = new Ring(windowSteps)
  }

  observe(value: number): void {
    // A missing row is skipped rather than filled: the window then reaches one row further back.
    if (!Number.isFinite(value)) return
    if (this.ring.length === this.ring.capacity) this.sum -= this.ring.at(this.ring.capacity - 1)
    this.ring.push(value)
    this.sum += value
  }

  forecast(maxHorizonSteps: number): Float64Array {
    return new Float64Array(maxHorizonSteps).fill(this.ring.length === 0 ? NaN : this.sum / this.ring.length)
  }
}

/** Simple exponential smoothing: level += alpha * (y - level); flat forecast. */
export class SimpleExpSmoothing implements PointForecaster {
  readonly name = 'ses'
  private level = NaN

  constructor(readonly alpha: number) {}

  observe(value: number): void {
    if (!Number.isFinite(value)) return
    this.level = Number.isFinite(this.level) ? this.level + this.alpha * (value - this.level) : value
  }

  forecast(maxHorizonSteps: number): Float64Array {
    return new Float64Array(maxHorizonSteps).fill(this.level)
  }
}

interface DampedHoltParams {
  alpha: number
  beta: number
  /** Damping of the trend per step, in (0, 1]: the forecast levels off at level + trend * phi / (1 - phi). */
  phi: number
}

/** Holt's linear trend with a damped trend (Gardner & McKenzie), additive errors. */
export class DampedHolt implements PointForecaster {
  readonly name = 'holt_damped'
  private level = NaN
  private trend = 0

  constructor(readonly params: DampedHoltParams) {}

  observe(value: number): void {
    const { alpha, beta, phi } = this.params
    if (!Number.isFinite(this.level)) {
      if (Number.isFinite(value)) this.level = value
      return
    }
    // A missing row advances the state by its own one-step forecast, so the trend keeps its timing.
    const y = Number.isFinite(value) ? value : this.level + phi * this.trend
    const prev = this.level
    this.level = alpha * y + (1 - alpha) * (prev + phi * this.trend)
    this.trend = beta * (this.level - prev) + (1 - beta) * phi * this.trend
  }

  forecast(maxHorizonSteps: number): Float64Array {
    const out = new Float64Array(maxHorizonSteps)
    let damp = 0
    let p = 1
    for (let h = 1; h <= maxHorizonSteps; h++) {
      p *= this.params.phi
      damp += p
      out[h - 1] = this.level + damp * this.trend
    }
    return out
  }
}

export const MOVING_AVERAGE_GRID = [3, 5, 10, 15, 30, 60] as const
export const SES_GRID = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1] as const
export const DAMPED_HOLT_GRID = { alpha: [0.05, 0.1, 0.2, 0.4, 0.7, 1], beta: [0.01, 0.05, 0.2], phi: [0.8, 0.9, 0.98] } as const

/**
 * Mean absolute error of a forecaster over rows [0, endIndex): at each row t it forecasts every horizon in
 * `horizonsSteps` and is scored against valid rows t + h < endIndex, so nothing at or after `endIndex` is read.
 * Errors count from `warmupSteps` on, averaged per horizon and then over horizons.
 */
export function trainingError(f: PointForecaster, values: ArrayLike<number>, endIndex: number, horizonsSteps: readonly number[], valid?: ArrayLike<number>, warmupSteps = 60): number {
  const end = Math.min(endIndex, values.length)
  const maxH = Math.max(...horizonsSteps)
  const err = new Float64Array(horizonsSteps.length)
  const count = new Float64Array(horizonsSteps.length)
  for (let t = 0; t < end; t++) {
    const ok = valid === undefined || valid[t] !== 0
    f.observe(ok ? (values[t] ?? NaN) : NaN)
    if (t < warmupSteps) continue
    const fc = f.forecast(maxH)
    horizonsSteps.forEach((h, k) => {
      const i = t + h
      if (i >= end || (valid !== undefined && valid[i] === 0)) return
      const y = values[i] ?? NaN
      const p = fc[h - 1] ?? NaN
      if (!Number.isFinite(y) || !Number.isFinite(p)) return
      err[k] = (err[k] ?? 0) + Math.abs(y - p)
      count[k] = (count[k] ?? 0) + 1
    })
  }
  let sum = 0
  let n = 0
  err.forEach((e, k) => {
    const c = count[k] ?? 0
    if (c > 0) {
      sum += e / c
      n++
    }
  })
  return n === 0 ? NaN : sum / n
}

/** The candidate with the lowest training error (the first on ties; the first when none can be scored). */
export function fitByGrid<P>(candidates: readonly P[], make: (p: P) => PointForecaster, values: ArrayLike<number>, endIndex: number, horizonsSteps: readonly number[], valid?: ArrayLike<number>): P {
  let best = candidates[0]
  let bestErr = Infinity
  for (const p of candidates) {
    const e = trainingError(make(p), values, endIndex, horizonsSteps, valid)
    if (e < bestErr) {
      bestErr = e
      best = p
    }
  }
  if (best === undefined) throw new RangeError('fitByGrid: no candidates')
  return best
}

export interface SmoothingFit {
  movingAverageSteps: number
  sesAlpha: number
  dampedHolt: DampedHoltParams
}

/** Fits the moving-average window, the SES alpha and the damped-Holt parameters on rows [0, endIndex). */
export function fitSmoothing(values: ArrayLike<number>, endIndex: number, horizonsSteps: readonly number[], valid?: ArrayLike<number>): SmoothingFit {
  const holt: DampedHoltParams[] = []
  for (const alpha of DAMPED_HOLT_GRID.alpha) for (const beta of DAMPED_HOLT_GRID.beta) for (const phi of DAMPED_HOLT_GRID.phi) holt.push({ alpha, beta, phi })
  return {
    movingAverageSteps: fitByGrid(MOVING_AVERAGE_GRID, (k) => new MovingAverage(k), values, endIndex, horizonsSteps, valid),
    sesAlpha: fitByGrid(SES_GRID, (a) => new SimpleExpSmoothing(a), values, endIndex, horizonsSteps, valid),
    dampedHolt: fitByGrid(holt, (p) => new DampedHolt(p), values, endIndex, horizonsSteps, valid),
  }
}

export function describeSmoothingFit(f: SmoothingFit): string {
  return `moving_avg k=${f.movingAverageSteps}, ses alpha=${f.sesAlpha}, holt_damped alpha=${f.dampedHolt.alpha} beta=${f.dampedHolt.beta} phi=${f.dampedHolt.phi}`
}
