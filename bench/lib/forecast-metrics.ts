/**
 * Forecast accuracy metrics.
 *
 * Scale choice: every scaled metric here divides by the in-sample mean absolute one-step naive error of the part
 * of the series before the evaluated segment (the "training part"), counting only pairs of valid neighbours.
 * The same one-step scale is used for every horizon (Hyndman & Koehler's MASE), so MASE at horizon h compares
 * with one-step naive, not h-step naive. Pinball loss uses the same scale, so it is comparable to MASE: for the
 * median alone, scaled pinball = MASE / 2.
 */

/** Mean |x[i] - x[i-1]| over i in [1, endIndex) where both rows are valid. */
export function naiveScale(values: ArrayLike<number>, endIndex: number, valid?: ArrayLike<number>): number {
  let sum = 0
  let count = 0
  const end = Math.min(endIndex, values.length)
  for (let i = 1; i < end; i++) {
    if (valid !== undefined && (valid[i] === 0 || valid[i - 1] === 0)) continue
    const a = values[i] ?? NaN
    const b = values[i - 1] ?? NaN
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue
    sum += Math.abs(a - b)
    count++
  }
  return count === 0 ? NaN : sum / count
}

export function pinball(actual: number, predicted: number, quantile: number): number {
  const diff = actual - predicted
  return diff >= 0 ? quantile * diff : (quantile - 1) * diff
}

/**
 * Running accumulator for one (series, forecaster, horizon) cell: MASE of the median, scaled pinball averaged
 * over the quantiles, and empirical coverage of the upper quantile (share of actuals <= it).
 */
export class ForecastScore {
  private absErr = 0
  private pinballSum = 0
  private covered = 0
  private n = 0

  constructor(
    private readonly scale: number,
    private readonly quantiles: readonly number[] = [0.1, 0.5, 0.9],
    private readonly upperIndex = 2,
    private readonly medianIndex = 1,
  ) {}

  /** `q` holds one prediction per quantile, in the order of `quantiles`. */
  add(actual: number, q: ArrayLike<number>): void {
    this.absErr += Math.abs(actual - (q[this.medianIndex] ?? NaN))
    let p = 0
    for (let k = 0; k < this.quantiles.length; k++) p += pinball(actual, q[k] ?? NaN, this.quantiles[k] ?? NaN)
    this.pinballSum += p / this.quantiles.length
    if (actual <= (q[this.upperIndex] ?? NaN)) this.covered++
    this.n++
  }

  get count(): number {
    return this.n
  }

  get mase(): number {
    return this.absErr / this.n / this.scale
  }

  get scaledPinball(): number {
    return this.pinballSum / this.n / this.scale
  }

  get upperCoverage(): number {
    return this.covered / this.n
  }
}
