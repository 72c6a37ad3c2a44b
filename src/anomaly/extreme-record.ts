/**
 * "Higher (or lower) than ever, for the first time in a long while." A series that creeps past its old peak
 * never trips the range check (each new high widens the range a little), yet a first new high after weeks at
 * or below the old one is exactly what an overheating machine looks like. The score grows with the quiet time
 * since the last record on that side, so a series that sets records all the time (a growing counter) stays
 * quiet. Pure, online, constant memory.
 */
export interface ExtremeRecordOptions {
  /** A record after `gapSteps` rows without one scores half of `maxScore`; the score is maxScore * gap / (gap + gapSteps). */
  gapSteps: number
  /** Score of a record after an endless quiet; below 1 so that a new record counts for less than leaving the range. */
  maxScore: number
}

export class ExtremeRecord {
  private max = -Infinity
  private min = Infinity
  private maxRow = 0
  private minRow = 0
  private rows = 0

  constructor(private readonly opts: ExtremeRecordOptions, private readonly learningSteps: number) {
    if (!(opts.gapSteps > 0 && opts.maxScore > 0 && opts.maxScore <= 1)) throw new RangeError('extreme record needs gapSteps > 0 and 0 < maxScore <= 1')
  }

  /** Score in [0, maxScore) for `value` given earlier rows; NaN is ignored and scores 0. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0
    const row = this.rows++
    let gap = 0
    if (value > this.max) {
      gap = row - this.maxRow
      this.max = value
      this.maxRow = row
    }
    if (value < this.min) {
      gap = Math.max(gap, row - this.minRow)
      this.min = value
      this.minRow = row
    }
    return row >= this.learningSteps ? (this.opts.maxScore * gap) / (gap + this.opts.gapSteps) : 0
  }
}
