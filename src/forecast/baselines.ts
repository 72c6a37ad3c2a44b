/**
 * Baseline forecasters. Each is strictly online: it sees one observation at a time and forecasts from the past
 * only, so a simulator or the serving engine can drive it the same way the benches do.
 */
import { dominantPeriod } from './fft.js'
import type { PointForecaster } from './point-forecaster.js'
import { Ring } from './ring.js'
import { DampedHolt, fitSmoothing, MovingAverage, SimpleExpSmoothing, type SmoothingFit } from './smoothing.js'

export type { PointForecaster } from './point-forecaster.js'

/** Last valid observation, flat over every horizon. */
export class LastValue implements PointForecaster {
  readonly name = 'last'
  private last = NaN

  observe(value: number): void {
    if (Number.isFinite(value)) this.last = value
  }

  forecast(maxHorizonSteps: number): Float64Array {
    return new Float64Array(maxHorizonSteps).fill(this.last)
  }
}

/** The value one period earlier (a day, for daily seasonality); the last value until a full period is seen. */
export class SeasonalNaive implements PointForecaster {
  readonly name: string
  private readonly history: Ring
  private last = NaN

  constructor(private readonly periodSteps: number, name = 'snaive_day') {
    this.name = name
    this.history = new Ring(periodSteps)
  }

  observe(value: number): void {
    const v = Number.isFinite(value) ? value : this.seasonal(1)
    const filled = Number.isFinite(v) ? v : this.last
    this.history.push(filled)
    if (Number.isFinite(filled)) this.last = filled
  }

  private seasonal(h: number): number {
    // Horizons beyond one period reuse the same cycle again.
    const lag = this.periodSteps - 1 - ((h - 1) % this.periodSteps)
    return this.history.length === this.periodSteps ? this.history.at(lag) : NaN
  }

  forecast(maxHorizonSteps: number): Float64Array {
    const out = new Float64Array(maxHorizonSteps)
    for (let h = 1; h <= maxHorizonSteps; h++) {
      const v = this.seasonal(h)
      out[h - 1] = Number.isFinite(v) ? v : this.last
    }
    return out
  }
}

export interface HoltWintersParams {
  alpha: number
  beta: number
  gamma: number
}

/**
 * Additive Holt-Winters with one season, updated incrementally. The first full season initialises level (its
 * mean), trend (0) and the seasonal offsets; until then it forecasts the last value.
 */
export class HoltWinters implements PointForecaster {
  readonly name = 'holt_winters'
  private readonly season: Float64Array
  private level = NaN
  private trend = 0
  private steps = 0
  private readonly warmup: number[] = []
  private last = NaN

  constructor(private readonly periodSteps: number, private readonly params: HoltWintersParams) {
    this.season = new Float64Array(periodSteps)
  }

  get initialised(): boolean {
    return Number.isFinite(this.level)
  }

  observe(value: number): void {
    const slot = this.steps % this.periodSteps
    this.steps++
    if (!this.initialised) {
      const v = Number.isFinite(value) ? value : this.last
      if (Number.isFinite(v)) this.last = v
      this.warmup.push(v)
      if (this.warmup.length === this.periodSteps) this.initialise()
      return
    }
    const y = Number.isFinite(value) ? value : this.level + this.trend + (this.season[slot] ?? 0)
    const { alpha, beta, gamma } = this.params
    const prevLevel = this.level
    this.level = alpha * (y - (this.season[slot] ?? 0)) + (1 - alpha) * (this.level + this.trend)
    this.trend = beta * (this.level - prevLevel) + (1 - beta) * this.trend
    this.season[slot] = gamma * (y - this.level) + (1 - gamma) * (this.season[slot] ?? 0)
    this.last = y
  }

  private initialise(): void {
    // Leading gaps have nothing to fill them with; they count as the first valid value.
    const firstValid = this.warmup.find((v) => Number.isFinite(v))
    if (firstValid === undefined) {
      this.warmup.length = 0
      return
    }
    const filled = this.warmup.map((v) => (Number.isFinite(v) ? v : firstValid))
    const mean = filled.reduce((a, b) => a + b, 0) / filled.length
    // Season slot i holds the offset for absolute steps congruent to i; warmup started at step 0.
    filled.forEach((v, i) => (this.season[i] = v - mean))
    this.level = mean
    this.trend = 0
    this.warmup.length = 0
  }

  forecast(maxHorizonSteps: number): Float64Array {
    const out = new Float64Array(maxHorizonSteps)
    for (let h = 1; h <= maxHorizonSteps; h++) {
      out[h - 1] = this.initialised ? this.level + h * this.trend + (this.season[(this.steps - 1 + h) % this.periodSteps] ?? 0) : this.last
    }
    return out
  }
}

const HW_GRID = {
  alpha: [0.05, 0.1, 0.2, 0.4, 0.7],
  beta: [0, 0.005, 0.02],
  gamma: [0.05, 0.1, 0.3],
}

/**
 * Grid-searches Holt-Winters parameters by one-step mean absolute error on rows [0, endIndex) (the training
 * part only), counting errors from the second season on and only at valid rows.
 */
export function fitHoltWinters(values: ArrayLike<number>, periodSteps: number, endIndex: number, valid?: ArrayLike<number>): HoltWintersParams {
  let best: HoltWintersParams = { alpha: 0.2, beta: 0, gamma: 0.1 }
  let bestErr = Infinity
  const end = Math.min(endIndex, values.length)
  for (const alpha of HW_GRID.alpha) {
    for (const beta of HW_GRID.beta) {
      for (const gamma of HW_GRID.gamma) {
        const hw = new HoltWinters(periodSteps, { alpha, beta, gamma })
        let err = 0
        let n = 0
        for (let i = 0; i < end; i++) {
          const ok = valid === undefined || valid[i] !== 0
          const v = ok ? (values[i] ?? NaN) : NaN
          if (i >= 2 * periodSteps && Number.isFinite(v)) {
            err += Math.abs(v - (hw.forecast(1)[0] ?? NaN))
            n++
          }
          hw.observe(v)
        }
        if (n > 0 && err / n < bestErr) {
          bestErr = err / n
          best = { alpha, beta, gamma }
        }
      }
    }
  }
  return best
}

interface FftPeriodicOptions {
  /** Most history kept and searched (e.g. one week). */
  historySteps: number
  /** No forecast from cycles before this much history (Crane's DSP predictor waits for two days). */
  minHistorySteps: number
  /** Shortest period considered. */
  minPeriodSteps: number
  /** Periods to snap to when the peak is near (e.g. one day, one week). */
  candidatePeriods: readonly number[]
  /** Re-detect the period this often; detection is an FFT over the history. */
  refitEverySteps: number
  /** Below this share of spectral power the series is treated as aperiodic (last value). */
  minPowerShare: number
}

/**
 * Periodicity predictor in the spirit of Crane's DSP predictor: detect the dominant period by FFT over the
 * recent history, then forecast each future step as the mean of the values at the same phase in the past cycles
 * held in the history.
 */
export class FftPeriodic implements PointForecaster {
  readonly name = 'fft'
  private readonly history: Ring
  private sinceFit = Infinity
  private period: number | undefined
  private last = NaN

  constructor(private readonly opts: FftPeriodicOptions) {
    this.history = new Ring(opts.historySteps)
  }

  get detectedPeriodSteps(): number | undefined {
    return this.period
  }

  observe(value: number): void {
    let v = value
    if (!Number.isFinite(v)) v = this.period !== undefined ? (this.forecast(1)[0] ?? this.last) : this.last
    if (!Number.isFinite(v)) return
    this.history.push(v)
    this.last = v
    this.sinceFit++
    if (this.sinceFit >= this.opts.refitEverySteps && this.history.length >= this.opts.minHistorySteps) this.refit()
  }

  private refit(): void {
    this.sinceFit = 0
    const found = dominantPeriod(this.history.last(this.opts.historySteps), this.opts.minPeriodSteps, this.opts.candidatePeriods)
    this.period = found !== undefined && found.powerShare >= this.opts.minPowerShare ? found.periodSteps : undefined
  }

  forecast(maxHorizonSteps: number): Float64Array {
    const out = new Float64Array(maxHorizonSteps).fill(this.last)
    const p = this.period
    if (p === undefined) return out
    for (let h = 1; h <= maxHorizonSteps; h++) {
      let sum = 0
      let n = 0
      // Lag of (t + h - k*p) from the newest row t is k*p - h; it must be >= 0 and within the history.
      for (let k = Math.ceil(h / p); k * p - h < this.history.length; k++) {
        sum += this.history.at(k * p - h)
        n++
      }
      if (n > 0) out[h - 1] = sum / n
    }
    return out
  }
}

/** The day-period baselines with defaults for a series whose day is `periodDaySteps` rows long. */
export function defaultBaselines(periodDaySteps: number, hw: HoltWintersParams): PointForecaster[] {
  return [
    new LastValue(),
    new SeasonalNaive(periodDaySteps),
    new HoltWinters(periodDaySteps, hw),
    new FftPeriodic({
      historySteps: 7 * periodDaySteps,
      minHistorySteps: 2 * periodDaySteps,
      minPeriodSteps: Math.max(2, Math.round(periodDaySteps / 24)),
      candidatePeriods: [periodDaySteps],
      refitEverySteps: periodDaySteps,
      minPowerShare: 0.05,
    }),
  ]
}

interface FittedBaselines {
  forecasters: PointForecaster[]
  holtWinters: HoltWintersParams
  smoothing: SmoothingFit
}

/**
 * Every baseline a model must beat, each fitted on rows [0, endIndex) only (the rows before the evaluated
 * segment): last value, seasonal naive, Holt-Winters, FFT, the moving average, simple exponential smoothing and
 * Holt's damped trend. `horizonsSteps` are the horizons the simple forecasters are chosen for.
 */
export function fittedBaselines(values: ArrayLike<number>, periodDaySteps: number, endIndex: number, horizonsSteps: readonly number[], valid?: ArrayLike<number>): FittedBaselines {
  const holtWinters = fitHoltWinters(values, periodDaySteps, endIndex, valid)
  const smoothing = fitSmoothing(values, endIndex, horizonsSteps, valid)
  return {
    forecasters: [...defaultBaselines(periodDaySteps, holtWinters), ...smoothingBaselines(smoothing)],
    holtWinters,
    smoothing,
  }
}

/** The moving average and the exponential-smoothing pair with fitted parameters. */
export function smoothingBaselines(f: SmoothingFit): PointForecaster[] {
  return [new MovingAverage(f.movingAverageSteps), new SimpleExpSmoothing(f.sesAlpha), new DampedHolt(f.dampedHolt)]
}

export const BASELINE_NAMES = ['last', 'snaive_day', 'holt_winters', 'fft', 'moving_avg', 'ses', 'holt_damped'] as const
