/**
 * A noise-floor reference for forecast accuracy, not a forecaster: it "predicts" row i from the actual rows on
 * BOTH sides of it (i-k..i+k, row i itself left out). On a noisy series no causal forecaster can be expected
 * to beat a smoother that also sees the future, so its MASE tells how much of a forecaster's error is noise
 * nobody can predict, and whether a relative target against a baseline is reachable at all.
 */

export type NeighbourStat = 'mean' | 'median'

/**
 * Mean or median of the valid finite rows within `radiusSteps` of `index`, excluding `index`; NaN when fewer
 * than `radiusSteps` neighbours qualify (too little context to call it a reference).
 */
export function neighbourEstimate(values: ArrayLike<number>, index: number, radiusSteps: number, stat: NeighbourStat, valid?: ArrayLike<number>): number {
  const xs: number[] = []
  const from = Math.max(0, index - radiusSteps)
  const to = Math.min(values.length - 1, index + radiusSteps)
  for (let j = from; j <= to; j++) {
    if (j === index || (valid !== undefined && valid[j] === 0)) continue
    const v = values[j] ?? NaN
    if (Number.isFinite(v)) xs.push(v)
  }
  if (xs.length < radiusSteps) return NaN
  if (stat === 'mean') return xs.reduce((a, b) => a + b, 0) / xs.length
  xs.sort((a, b) => a - b)
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? (xs[mid] ?? NaN) : ((xs[mid - 1] ?? NaN) + (xs[mid] ?? NaN)) / 2
}

/** Scaled mean absolute error of the two-sided reference over `targets`, the rows forecasters were scored on. */
export function noiseFloorMase(values: ArrayLike<number>, targets: Iterable<number>, scale: number, radiusSteps: number, stat: NeighbourStat, valid?: ArrayLike<number>): number {
  let sum = 0
  let n = 0
  for (const i of targets) {
    const est = neighbourEstimate(values, i, radiusSteps, stat, valid)
    const v = values[i] ?? NaN
    if (!Number.isFinite(est) || !Number.isFinite(v)) continue
    sum += Math.abs(v - est)
    n++
  }
  return n === 0 ? NaN : sum / n / scale
}
