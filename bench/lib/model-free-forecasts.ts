/**
 * Horizon-1 p10/p50/p90 forecasts from a series' own past, with no trained model: the median is an exponentially
 * smoothed level and the 80 % interval is the smoothed absolute one-step miss scaled as for a normal error
 * (mean absolute deviation * sqrt(pi/2) = sigma; +-1.2816 sigma). It has seen no file of any corpus, so the
 * detector fed by it has nothing learnt from the files it is scored on.
 */

/** Rows of past misses the interval width is averaged over (the exponential weight's time constant). */
const DEFAULT_ERROR_STEPS = 100
const P90_Z = 1.2816
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2)

export interface HorizonOneForecasts {
  /** Rows a forecast was made at (for the row after), ascending. */
  origins: Int32Array
  /** [origins.length, 3]: p10, p50, p90 for the row after each origin. */
  quantiles: Float32Array
}

/** `alpha` is the level's smoothing weight (1: the last value). Missing values (NaN) leave the state as it was. */
export function modelFreeForecasts(values: ArrayLike<number>, alpha = 0.5, errorSteps = DEFAULT_ERROR_STEPS): HorizonOneForecasts {
  if (!(alpha > 0 && alpha <= 1 && errorSteps >= 1)) throw new RangeError('model-free forecasts need 0 < alpha <= 1 and errorSteps >= 1')
  const origins: number[] = []
  const quantiles: number[] = []
  let level = NaN
  // Bias-corrected exponential mean of the absolute miss: the weight sum starts at 0.
  let missSum = 0
  let weightSum = 0
  const decay = 1 - 1 / errorSteps
  for (let t = 0; t < values.length; t++) {
    const x = values[t] ?? NaN
    if (Number.isFinite(x)) {
      if (Number.isFinite(level)) {
        missSum = decay * missSum + Math.abs(x - level)
        weightSum = decay * weightSum + 1
        level += alpha * (x - level)
      } else {
        level = x
      }
    }
    if (!Number.isFinite(level)) continue
    const half = weightSum > 0 ? P90_Z * MAD_TO_SIGMA * (missSum / weightSum) : 0
    origins.push(t)
    quantiles.push(level - half, level, level + half)
  }
  return { origins: Int32Array.from(origins), quantiles: Float32Array.from(quantiles) }
}
