/**
 * Flags values outside everything seen so far, widened by a tolerance share of the seen range. Forecast
 * surprise alone misses slow drifts to new extremes (the forecaster follows them); HTM's NAB detector pairs
 * its likelihood with the same kind of range check.
 */
export class RangeNovelty {
  private min = Infinity
  private max = -Infinity
  private seen = 0

  constructor(private readonly tolerance = 0.05, private readonly learningSteps = 300) {}

  /** Whether `value` is novel given earlier values only; it then joins the range. NaN is ignored. */
  update(value: number): boolean {
    if (!Number.isFinite(value)) return false
    const slack = this.tolerance * (this.max - this.min)
    const novel = this.seen >= this.learningSteps && (value > this.max + slack || value < this.min - slack)
    this.seen++
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    return novel
  }
}
