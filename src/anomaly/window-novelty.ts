import { float64s } from '../util/slab.js'
/**
 * Window novelty in the spirit of adaptive resonance: the last `windowSteps` values, averaged down to `points`
 * and scaled into the range seen so far, are matched against a bounded set of remembered shapes. A window within
 * `vigilance` (largest per-point difference, share of the range) of a remembered shape resonates with it and
 * nudges it; one that matches none is a shape not seen before and is remembered, replacing the shape resonated
 * with longest ago when memory is full (a bounded memory lets old behaviour be forgotten). As with contextual
 * novelty, a new shape scores by how long the series went without one, so noisy series that keep making new
 * shapes stay quiet. Pure and online; state is `memory * points` doubles plus the window.
 */
export interface WindowNoveltyOptions {
  /** Rows a window spans. */
  windowSteps: number
  /** Means the window is reduced to (windowSteps must be a multiple). */
  points: number
  /** Largest per-point difference, as a share of the seen range, that still resonates. */
  vigilance: number
  /** Shapes remembered at most. */
  memory: number
  /** A new shape after `gapSteps` quiet rows scores 0.5; the score is gap / (gap + gapSteps). */
  gapSteps: number
}

export class WindowNovelty {
  private readonly values: Float64Array
  private filled = 0
  private next = 0
  private min = Infinity
  private max = -Infinity
  private readonly shapes: Float64Array
  private readonly lastUsed: Float64Array
  private stored = 0
  private readonly shape: Float64Array
  private rows = 0
  private lastNovelRow = -1

  constructor(private readonly opts: WindowNoveltyOptions, private readonly learningSteps: number) {
    if (!(opts.points >= 1 && opts.windowSteps >= opts.points && opts.windowSteps % opts.points === 0)) throw new RangeError('window novelty needs windowSteps a multiple of points >= 1')
    if (!(opts.vigilance > 0 && opts.memory >= 1 && opts.gapSteps > 0)) throw new RangeError('window novelty needs vigilance > 0, memory >= 1, gapSteps > 0')
    this.values = float64s(opts.windowSteps)
    this.shapes = float64s(opts.memory * opts.points)
    this.lastUsed = float64s(opts.memory)
    this.shape = float64s(opts.points)
  }

  /** Score in [0,1) for `value` given earlier rows; NaN is ignored and scores 0. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0
    const row = this.rows++
    const { windowSteps, points, vigilance, memory, gapSteps } = this.opts
    this.values[this.next] = value
    this.next = (this.next + 1) % windowSteps
    if (this.filled < windowSteps) this.filled++
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const span = this.max - this.min
    if (this.filled < windowSteps || !(span > 0)) return 0
    // Oldest to newest, averaged per point and scaled into [0, 1] of the seen range.
    const per = windowSteps / points
    for (let p = 0; p < points; p++) {
      let s = 0
      for (let i = 0; i < per; i++) s += this.values[(this.next + p * per + i) % windowSteps] ?? 0
      this.shape[p] = (s / per - this.min) / span
    }
    let best = -1
    let bestDistance = Infinity
    for (let k = 0; k < this.stored; k++) {
      let d = 0
      for (let p = 0; p < points && d < bestDistance; p++) d = Math.max(d, Math.abs((this.shapes[k * points + p] ?? 0) - (this.shape[p] ?? 0)))
      if (d < bestDistance) {
        bestDistance = d
        best = k
      }
    }
    if (best >= 0 && bestDistance <= vigilance) {
      // Resonance: the remembered shape moves a little towards this one.
      for (let p = 0; p < points; p++) this.shapes[best * points + p] = 0.9 * (this.shapes[best * points + p] ?? 0) + 0.1 * (this.shape[p] ?? 0)
      this.lastUsed[best] = row
      return 0
    }
    let slot = this.stored
    if (this.stored < memory) this.stored++
    else {
      slot = 0
      for (let k = 1; k < memory; k++) if ((this.lastUsed[k] ?? 0) < (this.lastUsed[slot] ?? 0)) slot = k
    }
    this.shapes.set(this.shape, slot * points)
    this.lastUsed[slot] = row
    const gap = row - this.lastNovelRow
    this.lastNovelRow = row
    return row >= this.learningSteps ? gap / (gap + gapSteps) : 0
  }
}
