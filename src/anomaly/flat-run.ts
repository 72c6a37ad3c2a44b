/**
 * "Stuck for longer than ever before." A metric that stops changing (a dead exporter, a stalled disk, a queue
 * drained to 0, a sensor frozen at its last reading) repeats one value. The current run of repeats is compared
 * with the longest earlier run; the row on which it first becomes the longest ever (and at least `minSteps`
 * repeats) scores `maxScore`, once per run. A series that is often flat (a counter at 0 between bursts) has long
 * earlier runs and so stays quiet; the test is exact equality, so it is scale-free. Pure, online, constant memory.
 */
export interface FlatRunOptions {
  /** Repeats of one value (rows after its first) a run needs before it can count as a record. */
  minSteps: number
  /** Score of the row on which a run becomes a record. */
  maxScore: number
}

export class FlatRun {
  private runValue = NaN
  /** Repeats of `runValue` since its first row. */
  private run = 0
  /** Longest earlier run (the current one excluded). */
  private longest = 0
  private fired = false
  private rows = 0

  constructor(private readonly opts: FlatRunOptions, private readonly learningSteps: number) {
    if (!(opts.minSteps >= 1 && opts.maxScore > 0 && opts.maxScore <= 1)) throw new RangeError('flat run needs minSteps >= 1 and 0 < maxScore <= 1')
  }

  /** Score in {0, maxScore} for `value` given earlier rows; NaN is ignored (it neither extends nor breaks a run) and scores 0. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0
    const row = this.rows++
    if (value === this.runValue) {
      this.run++
    } else {
      this.longest = Math.max(this.longest, this.run)
      this.runValue = value
      this.run = 0
      this.fired = false
    }
    if (this.fired || this.run <= this.longest || this.run < this.opts.minSteps) return 0
    // A record set while learning is remembered (it raises the bar) but not scored.
    this.fired = true
    return row >= this.learningSteps ? this.opts.maxScore : 0
  }
}
