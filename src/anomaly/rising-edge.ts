/**
 * Passes a score only when it beats every score of the previous `steps` rows, else 0. NAB, like an on-call
 * engineer, counts only the first alert of an incident but charges every alert outside one; for any threshold,
 * the first crossing always beats its predecessors, so this keeps first alerts and drops their echoes without
 * knowing the threshold.
 */
import { WindowMax } from './window-max.js'

export class RisingEdge {
  private readonly recent: WindowMax | undefined

  constructor(steps: number) {
    if (!(steps >= 0)) throw new RangeError('rising edge steps must be >= 0')
    this.recent = steps > 0 ? new WindowMax(steps) : undefined
  }

  update(score: number): number {
    const r = this.recent
    if (r === undefined) return score
    const best = r.max()
    r.push(score)
    return score > best ? score : 0
  }
}
