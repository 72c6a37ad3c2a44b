/**
 * The simple forecasters the served forecast is weighed against, computed from the recent window alone: last value,
 * moving averages, simple exponential smoothing and Holt's damped trend. Being functions of the window they need no
 * state per policy, and one pass over the window gives the forecast from every origin in it, so the forecasts they
 * would have made a few steps ago (which the adaptation scores) cost nothing to keep.
 */

export const WINDOW_COMPONENTS = ['last', 'moving_avg_5', 'moving_avg_15', 'moving_avg_30', 'ses', 'holt_damped'] as const
export type WindowComponent = (typeof WINDOW_COMPONENTS)[number]

/** Fixed parameters: no series is there to fit them on. SES and damped Holt start at the mean of the first rows. */
const SES_ALPHA = 0.1
const HOLT = { alpha: 0.1, beta: 0.02, phi: 0.9 }
const INIT_ROWS = 10
const MA_WINDOWS = [5, 15, 30] as const

/**
 * Forecasts of the window components from any origin of one window. `prepare` fills missing rows (carried forward;
 * leading ones take the first value) and runs the one pass; the arrays are reused, so one instance serves every
 * policy of a refresh in turn.
 */
export class WindowComponents {
  private readonly filled: Float64Array
  private readonly prefix: Float64Array
  private readonly ses: Float64Array
  private readonly level: Float64Array
  private readonly trend: Float64Array
  private readonly dampSum: Float64Array
  private n = 0
  private absStep = 0

  constructor(readonly capacity: number, maxHorizonSteps: number) {
    this.filled = new Float64Array(capacity)
    this.prefix = new Float64Array(capacity + 1)
    this.ses = new Float64Array(capacity)
    this.level = new Float64Array(capacity)
    this.trend = new Float64Array(capacity)
    this.dampSum = new Float64Array(maxHorizonSteps + 1)
    let p = 1
    for (let h = 1; h <= maxHorizonSteps; h++) {
      p *= HOLT.phi
      this.dampSum[h] = (this.dampSum[h - 1] ?? 0) + p
    }
  }

  /** False when the window has no finite value (nothing to forecast from). */
  prepare(window: ArrayLike<number>): boolean {
    const n = Math.min(window.length, this.capacity)
    let first = NaN
    for (let i = 0; i < n && !Number.isFinite(first); i++) first = window[i] ?? NaN
    if (!Number.isFinite(first)) return false
    this.n = n
    let prev = first
    let sum = 0
    this.prefix[0] = 0
    for (let i = 0; i < n; i++) {
      const v = window[i] ?? NaN
      if (Number.isFinite(v)) prev = v
      this.filled[i] = prev
      sum += prev
      this.prefix[i + 1] = sum
    }
    const init = (this.prefix[Math.min(INIT_ROWS, n)] ?? 0) / Math.min(INIT_ROWS, n)
    let steps = 0
    for (let i = 1; i < n; i++) steps += Math.abs((this.filled[i] ?? 0) - (this.filled[i - 1] ?? 0))
    this.absStep = n > 1 ? steps / (n - 1) : 0
    let s = init
    let l = init
    let b = 0
    for (let i = 0; i < n; i++) {
      const y = this.filled[i] ?? 0
      s += SES_ALPHA * (y - s)
      const prevL = l
      l = HOLT.alpha * y + (1 - HOLT.alpha) * (prevL + HOLT.phi * b)
      b = HOLT.beta * (l - prevL) + (1 - HOLT.beta) * HOLT.phi * b
      this.ses[i] = s
      this.level[i] = l
      this.trend[i] = b
    }
    return true
  }

  /** Mean |row - previous row| over the window: the one-step noise, a floor for interval widths. */
  meanAbsStep(): number {
    return this.absStep
  }

  get length(): number {
    return this.n
  }

  /** Mean of the k rows up to window row `origin` (fewer at the window's start). */
  mean(origin: number, k: number): number {
    const m = Math.min(k, origin + 1)
    return ((this.prefix[origin + 1] ?? 0) - (this.prefix[origin + 1 - m] ?? 0)) / m
  }

  /** The forecast of component `c` (index into WINDOW_COMPONENTS) made at window row `origin` for `h` steps later. */
  forecast(c: number, origin: number, h: number): number {
    switch (c) {
      case 0:
        return this.filled[origin] ?? NaN
      case 1:
      case 2:
      case 3: {
        const k = Math.min(MA_WINDOWS[c - 1] ?? 1, origin + 1)
        return ((this.prefix[origin + 1] ?? 0) - (this.prefix[origin + 1 - k] ?? 0)) / k
      }
      case 4:
        return this.ses[origin] ?? NaN
      default:
        return (this.level[origin] ?? NaN) + (this.dampSum[h] ?? 0) * (this.trend[origin] ?? 0)
    }
  }
}
