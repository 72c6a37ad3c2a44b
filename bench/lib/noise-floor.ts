/**
 * A noise-floor reference for forecast accuracy, not a forecaster: it "predicts" row i from the actual rows on
 * BOTH sides of it (i-k..i+k, row i itself left out). On a noisy series no causal forecaster can be expected
 * to beat a smoother that also sees the future, so its MASE tells how much of a forecaster's error is noise
 * nobody can predict, and whether a relative target against a baseline is reachable at all.
 *
 * With `gapSteps` g > 1 it also skips the g-1 rows on each side of the target, as a forecast g steps ahead cannot
 * see the g-1 rows before it. That matters on bursty request counts: a burst that straddles a minute boundary
 * makes neighbouring rows share noise, which the plain reference gets for free and a forecaster never can.
 */

export type NeighbourStat = 'mean' | 'median'

/**
 * Mean or median of the valid finite rows `gapSteps` to `gapSteps + radiusSteps - 1` rows away from `index` on
 * either side (gap 1: the `radiusSteps` nearest on each side); NaN when fewer than `radiusSteps` rows qualify
 * (too little context to call it a reference).
 */
export function neighbourEstimate(values: ArrayLike<number>, index: number, radiusSteps: number, stat: NeighbourStat, valid?: ArrayLike<number>, gapSteps = 1): number {
  const xs: number[] = []
  const reach = gapSteps + radiusSteps - 1
  const from = Math.max(0, index - reach)
  const to = Math.min(values.length - 1, index + reach)
  for (let j = from; j <= to; j++) {
    if (Math.abs(j - index) < gapSteps || (valid !== undefined && valid[j] === 0)) continue
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
export function noiseFloorMase(values: ArrayLike<number>, targets: Iterable<number>, scale: number, radiusSteps: number, stat: NeighbourStat, valid?: ArrayLike<number>, gapSteps = 1): number {
  let sum = 0
  let n = 0
  for (const i of targets) {
    const est = neighbourEstimate(values, i, radiusSteps, stat, valid, gapSteps)
    const v = values[i] ?? NaN
    if (!Number.isFinite(est) || !Number.isFinite(v)) continue
    sum += Math.abs(v - est)
    n++
  }
  return n === 0 ? NaN : sum / n / scale
}
