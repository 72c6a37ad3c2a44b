import { float64s } from '../util/slab.js'
/**
 * Mean and standard deviation of roughly the last `historySteps` values in constant memory: values are summed in
 * blocks of `blockSteps` (count, sum, sum of squares) and the oldest block is dropped as a new one starts. The
 * window then covers between historySteps - blockSteps and historySteps values. The anomaly likelihood
 * re-estimates once per block anyway, so this gives it a month-long baseline at about 2 KB per policy instead
 * of a ring of every value (69 KB at 8,640 doubles).
 */
export class BlockStats {
  private readonly count: Float64Array
  private readonly sum: Float64Array
  private readonly sumSq: Float64Array
  private current = 0

  constructor(historySteps: number, private readonly blockSteps: number) {
    if (!(historySteps >= 1 && blockSteps >= 1)) throw new RangeError('block stats need historySteps >= 1 and blockSteps >= 1')
    const blocks = Math.max(1, Math.ceil(historySteps / blockSteps))
    this.count = float64s(blocks)
    this.sum = float64s(blocks)
    this.sumSq = float64s(blocks)
  }

  push(value: number): void {
    if (this.count[this.current] === this.blockSteps) {
      this.current = (this.current + 1) % this.count.length
      this.count[this.current] = 0
      this.sum[this.current] = 0
      this.sumSq[this.current] = 0
    }
    this.count[this.current] = (this.count[this.current] ?? 0) + 1
    this.sum[this.current] = (this.sum[this.current] ?? 0) + value
    this.sumSq[this.current] = (this.sumSq[this.current] ?? 0) + value * value
  }

  /** Values in the window. */
  get length(): number {
    let n = 0
    for (const c of this.count) n += c
    return n
  }

  /** Mean and sample standard deviation of the window (NaN when empty; deviation 0 for one value). */
  stats(): { mean: number; std: number } {
    let n = 0
    let s = 0
    let ss = 0
    for (let i = 0; i < this.count.length; i++) {
      n += this.count[i] ?? 0
      s += this.sum[i] ?? 0
      ss += this.sumSq[i] ?? 0
    }
    if (n === 0) return { mean: NaN, std: NaN }
    const mean = s / n
    // Sums of squares lose a little precision against a two-pass variance; clamp the rounding below zero.
    const variance = n > 1 ? Math.max(0, (ss - n * mean * mean) / (n - 1)) : 0
    return { mean, std: Math.sqrt(variance) }
  }
}
