/**
 * The seasonal simple forecaster the served forecast is also weighed against: today's level plus the change that
 * followed the same time a period ago (a day, a week). It reads the seasonal rows the model is given anyway
 * (SEASONAL_STEPS rows, from a period before the origin minus 59 steps to a period before it plus 30), so it costs
 * no state per policy and no query, and from one row it gives the forecast of every origin of the recent window, as
 * the adaptation's scoring needs. A full Holt-Winters would need a season of state per policy; the rows are what
 * the engine holds.
 */
import { SEASONAL_LEAD_STEPS, SEASONAL_STEPS } from './windows.js'

/** Row of the day-ago row that lies exactly a day before the newest recent row. */
const ORIGIN_ROW = SEASONAL_STEPS - SEASONAL_LEAD_STEPS - 1
/** Below this share of real values the row says too little of yesterday to forecast from. */
const MIN_FINITE_SHARE = 0.8

export class DayShape {
  private readonly prefix = new Float64Array(SEASONAL_STEPS + 1)
  private available = false

  /**
   * `levelSteps`: rows averaged for the level, today's and yesterday's alike; `smoothSteps`: rows on each side of
   * yesterday's target row averaged, so one noisy minute a day ago does not become today's forecast.
   */
  constructor(readonly levelSteps: number, readonly smoothSteps: number) {}

  /** Missing rows are carried forward (leading ones take the first value). False when there is nothing to read. */
  prepare(day: ArrayLike<number> | undefined): boolean {
    this.available = false
    if (day === undefined || day.length !== SEASONAL_STEPS || this.levelSteps < 1) return false
    let first = NaN
    let finite = 0
    for (let i = 0; i < SEASONAL_STEPS; i++) {
      const v = day[i] ?? NaN
      if (Number.isFinite(v)) {
        finite++
        if (!Number.isFinite(first)) first = v
      }
    }
    if (finite < MIN_FINITE_SHARE * SEASONAL_STEPS) return false
    let prev = first
    for (let i = 0; i < SEASONAL_STEPS; i++) {
      const v = day[i] ?? NaN
      if (Number.isFinite(v)) prev = v
      this.prefix[i + 1] = (this.prefix[i] ?? 0) + prev
    }
    this.available = true
    return true
  }

  get ok(): boolean {
    return this.available
  }

  /**
   * Yesterday's change from the origin's time of day to h steps later, for an origin `back` rows before the newest:
   * the smoothed row at the target minus the level over the levelSteps rows up to the origin. NaN outside the row.
   */
  change(back: number, h: number): number {
    if (!this.available) return NaN
    const origin = ORIGIN_ROW - back
    const from = origin - this.levelSteps + 1
    if (from < 0 || origin + h >= SEASONAL_STEPS) return NaN
    const lo = Math.max(0, origin + h - this.smoothSteps)
    const hi = Math.min(SEASONAL_STEPS - 1, origin + h + this.smoothSteps)
    const target = ((this.prefix[hi + 1] ?? 0) - (this.prefix[lo] ?? 0)) / (hi - lo + 1)
    const level = ((this.prefix[origin + 1] ?? 0) - (this.prefix[from] ?? 0)) / this.levelSteps
    return target - level
  }
}
