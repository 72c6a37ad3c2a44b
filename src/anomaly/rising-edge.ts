/**
 * Passes a score only when it beats every score of the previous `steps` rows, else 0. NAB, like an on-call
 * engineer, counts only the first alert of an incident but charges every alert outside one; for any threshold,
 * the first crossing always beats its predecessors, so this keeps first alerts and drops their echoes without
 * knowing the threshold.
 *
 * Averaged scores climb over several rows (0.54, 0.57, 0.63, 0.90), and each step beats the last, so each would
 * be charged as a separate alert. With a ramp, a score within `ramp.steps` rows of the last one passed must beat
 * it by `ramp.margin` to pass: a climb counts again only where it rises by a clear step.
 */
import { WindowMax } from './window-max.js'

export interface RampOptions {
  /** Rows after a passed score during which a higher one must clear the margin. */
  steps: number
  /** How much a score must beat the last passed one by, inside `steps`. */
  margin: number
}

export class RisingEdge {
  private readonly recent: WindowMax | undefined
  private row = 0
  private lastPassed = 0
  private lastPassedRow = -Infinity

  constructor(steps: number, private readonly ramp?: RampOptions) {
    if (!(steps >= 0)) throw new RangeError('rising edge steps must be >= 0')
    if (ramp !== undefined && !(ramp.steps >= 1 && ramp.margin >= 0)) throw new RangeError('ramp needs steps >= 1 and margin >= 0')
    this.recent = steps > 0 ? new WindowMax(steps) : undefined
  }

  update(score: number): number {
    const row = this.row++
    const r = this.recent
    if (r === undefined) return score
    const best = r.max()
    r.push(score)
    if (!(score > best)) return 0
    const ramp = this.ramp
    if (ramp !== undefined) {
      if (row - this.lastPassedRow <= ramp.steps && score < this.lastPassed + ramp.margin) return 0
      this.lastPassed = score
      this.lastPassedRow = row
    }
    return score
  }
}
