import type { PointForecaster } from '../../src/forecast/baselines.js'
import { Ring } from '../../src/forecast/ring.js'

/**
 * Turns a point forecaster into a quantile forecaster for a few horizons: the lower and upper quantiles are the
 * point forecast plus empirical quantiles of that horizon's most recent realised errors (actual - forecast).
 * The median is the point forecast itself, so MASE of the median equals MASE of the point forecaster.
 */
export class ResidualQuantiles {
  private readonly residuals: Ring[]
  /** Per tracked horizon, the forecasts made at the last h origins (lag h-1 = the one due now). */
  private readonly pending: Ring[]
  private latest: Float64Array = new Float64Array(0)
  private readonly maxHorizonSteps: number

  constructor(
    readonly inner: PointForecaster,
    readonly horizonsSteps: readonly number[],
    private readonly windowSize = 288,
    private readonly lowerQuantile = 0.1,
    private readonly upperQuantile = 0.9,
  ) {
    this.maxHorizonSteps = Math.max(...horizonsSteps)
    this.residuals = horizonsSteps.map(() => new Ring(windowSize))
    this.pending = horizonsSteps.map((h) => new Ring(h))
  }

  get name(): string {
    return this.inner.name
  }

  observe(value: number): void {
    this.horizonsSteps.forEach((h, i) => {
      const due = this.pending[i]
      if (due === undefined || due.length < h) return
      const predicted = due.at(h - 1)
      if (Number.isFinite(value) && Number.isFinite(predicted)) this.residuals[i]?.push(value - predicted)
    })
    this.inner.observe(value)
    this.latest = this.inner.forecast(this.maxHorizonSteps)
    this.horizonsSteps.forEach((h, i) => this.pending[i]?.push(this.latest[h - 1] ?? NaN))
  }

  /** [lower, median, upper] for the i-th tracked horizon, from the newest observation. */
  quantiles(horizonIndex: number): [number, number, number] {
    const h = this.horizonsSteps[horizonIndex]
    const point = h === undefined ? NaN : (this.latest[h - 1] ?? NaN)
    const res = this.residuals[horizonIndex]
    // Too few errors for a spread: a degenerate interval is more honest than a guessed one.
    if (res === undefined || res.length < 10) return [point, point, point]
    const sorted = res.last(this.windowSize).sort()
    return [point + empiricalQuantile(sorted, this.lowerQuantile), point, point + empiricalQuantile(sorted, this.upperQuantile)]
  }
}

/** Linear-interpolated quantile of an ascending array. */
export function empiricalQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const pos = q * (n - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  const a = sorted[lo] ?? NaN
  const b = sorted[hi] ?? NaN
  return a + (pos - lo) * (b - a)
}
