/** In-place iterative radix-2 FFT; `re` and `im` must have the same power-of-two length. */
export function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length
  if (im.length !== n || (n & (n - 1)) !== 0) throw new RangeError('fft needs equal power-of-two lengths')
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) {
      const tr = re[i] ?? 0
      re[i] = re[j] ?? 0
      re[j] = tr
      const ti = im[i] ?? 0
      im[i] = im[j] ?? 0
      im[j] = ti
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len
    const wr = Math.cos(ang)
    const wi = Math.sin(ang)
    for (let i = 0; i < n; i += len) {
      let cr = 1
      let ci = 0
      for (let k = 0; k < len / 2; k++) {
        const a = i + k
        const b = a + len / 2
        const br = re[b] ?? 0
        const bi = im[b] ?? 0
        const xr = br * cr - bi * ci
        const xi = br * ci + bi * cr
        const ar = re[a] ?? 0
        const ai = im[a] ?? 0
        re[a] = ar + xr
        im[a] = ai + xi
        re[b] = ar - xr
        im[b] = ai - xi
        const ncr = cr * wr - ci * wi
        ci = cr * wi + ci * wr
        cr = ncr
      }
    }
  }
}

interface DetectedPeriod {
  periodSteps: number
  /** Share of the non-DC spectral power in the peak bin and its two neighbours. */
  powerShare: number
}

/**
 * Dominant period of `values` from the periodogram of the de-meaned, zero-padded series. Peaks are searched among
 * periods in [minPeriodSteps, values.length / 2] so that at least two cycles are seen. A peak within 10% of one
 * of `candidatePeriods` snaps to it, because bin resolution is coarse at long periods.
 */
export function dominantPeriod(values: ArrayLike<number>, minPeriodSteps: number, candidatePeriods: readonly number[] = []): DetectedPeriod | undefined {
  const len = values.length
  if (len < 2 * minPeriodSteps || len < 4) return undefined
  let size = 1
  while (size < len) size <<= 1
  const re = new Float64Array(size)
  const im = new Float64Array(size)
  let mean = 0
  for (let i = 0; i < len; i++) mean += values[i] ?? 0
  mean /= len
  for (let i = 0; i < len; i++) re[i] = (values[i] ?? 0) - mean
  fftInPlace(re, im)
  const power = new Float64Array(size / 2 + 1)
  let total = 0
  for (let k = 1; k <= size / 2; k++) {
    power[k] = (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2
    total += power[k] ?? 0
  }
  if (total <= 0) return undefined
  let bestK = 0
  let bestPower = -1
  for (let k = 1; k <= size / 2; k++) {
    const periodSteps = size / k
    if (periodSteps < minPeriodSteps || periodSteps > len / 2) continue
    if ((power[k] ?? 0) > bestPower) {
      bestPower = power[k] ?? 0
      bestK = k
    }
  }
  if (bestK === 0) return undefined
  const peak = (power[bestK - 1] ?? 0) + (power[bestK] ?? 0) + (power[bestK + 1] ?? 0)
  let periodSteps = Math.round(size / bestK)
  for (const c of candidatePeriods) {
    if (Math.abs(periodSteps - c) <= 0.1 * c) periodSteps = c
  }
  return { periodSteps, powerShare: peak / total }
}
