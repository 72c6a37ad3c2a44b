/**
 * "The model has rarely been this wrong": the mean forecast miss over a short window, divided by the largest such
 * mean in a bounded history, scored r / (1 + r). A new record scores above 0.5 whatever the series' scale or
 * noise, which keeps scores comparable across series without a distributional assumption; the bounded history
 * lets one early blunder age out.
 */
import { Ring } from '../forecast/ring.js'
import { WindowMax } from './window-max.js'

export interface ErrorRecordOptions {
  /** Misses averaged before comparing, so that a sustained miss can set a record that one row would not. */
  averagingSteps: number
  /** Earlier averages the current one is compared with. */
  historySteps: number
}

export class ErrorRecord {
  private readonly recent: Ring
  private recentSum = 0
  private readonly history: WindowMax
  private rows = 0

  constructor(private readonly opts: ErrorRecordOptions, private readonly learningSteps: number) {
    if (!(opts.averagingSteps >= 1 && opts.historySteps >= 1)) throw new RangeError('error record needs averagingSteps >= 1 and historySteps >= 1')
    this.recent = new Ring(opts.averagingSteps)
    this.history = new WindowMax(opts.historySteps)
  }

  /** Score in [0,1] (1 only when every earlier miss was 0) for one non-negative miss (e.g. |actual - p50| / interval width), from earlier rows only. */
  update(miss: number): number {
    if (this.recent.length === this.opts.averagingSteps) this.recentSum -= this.recent.at(this.opts.averagingSteps - 1)
    this.recent.push(miss)
    this.recentSum += miss
    const avg = this.recentSum / this.recent.length
    const best = this.history.max()
    this.history.push(avg)
    if (++this.rows <= this.learningSteps) return 0
    if (!(best > 0)) return avg > 0 ? 1 : 0.5
    const r = avg / best
    return r / (1 + r)
  }
}
