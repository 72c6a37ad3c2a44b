/**
 * Contextual novelty in the spirit of CAD OSE: values are quantised into a few levels of the range seen so far
 * and the last `order + 1` distinct levels form a context. A context never met before is evidence of new
 * behaviour; how much depends on how long the series has gone without one, so noisy series that keep producing
 * new contexts stay quiet and settled ones speak up. Pure and online; its state is the set of contexts met.
 */
import { contextSet, type ContextSet } from './context-set.js'

interface ContextNoveltyOptions {
  /** Quantisation levels across the seen range. */
  bins: number
  /** Earlier distinct levels that make up a context (plus the current one). */
  order: number
  /** A novel context after `gapSteps` quiet rows scores 0.5; the score is gap / (gap + gapSteps). */
  gapSteps: number
  /**
   * Bounded memory (as CAD OSE bounds its contexts): a context not met for between `forgetSteps` and twice that
   * many rows is forgotten and would count as novel again. Undefined: remembered for ever.
   */
  forgetSteps?: number | undefined
  /**
   * Bytes the set of met contexts may hold: a resolution whose exact bitmap (bins^(order+1) bits) is larger keeps
   * a Bloom filter of this size instead. Undefined: always the exact bitmap.
   */
  maxSetBytes?: number | undefined
}

export class ContextNovelty {
  private min = Infinity
  private max = -Infinity
  /** Last `order + 1` distinct levels as one base-`bins` number (oldest level the most significant digit). */
  private key = 0
  private distinct = 0
  private lastLevel = -1
  private readonly keySpace: number
  private seenContexts: ContextSet
  /** With forgetSteps: the contexts of the previous period, still known. */
  private olderContexts: ContextSet | undefined
  private rows = 0
  private lastNovelRow = -1

  constructor(private readonly opts: ContextNoveltyOptions, private readonly learningSteps: number) {
    if (!(opts.bins >= 2 && opts.order >= 1 && opts.gapSteps > 0)) throw new RangeError('context novelty needs bins >= 2, order >= 1, gapSteps > 0')
    this.keySpace = opts.bins ** (opts.order + 1)
    this.seenContexts = contextSet(this.keySpace, opts.maxSetBytes)
    if (opts.forgetSteps !== undefined) {
      if (!(opts.forgetSteps >= 1)) throw new RangeError('context novelty needs forgetSteps >= 1')
      this.olderContexts = contextSet(this.keySpace, opts.maxSetBytes)
    }
  }

  /** Bytes of the context sets' buffers. */
  get bytes(): number {
    return this.seenContexts.bytes + (this.olderContexts?.bytes ?? 0)
  }

  /** Score in [0,1) for `value` given earlier rows; NaN is ignored and scores 0. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0
    const row = this.rows++
    const older = this.olderContexts
    if (older !== undefined && row > 0 && row % (this.opts.forgetSteps ?? 1) === 0) {
      // Two generations: what was met in the last period stays known through the next.
      this.olderContexts = this.seenContexts
      older.clear()
      this.seenContexts = older
    }
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const span = this.max - this.min
    const { bins, order, gapSteps } = this.opts
    const level = span > 0 ? Math.min(bins - 1, Math.floor(((value - this.min) / span) * bins)) : 0
    // Repeats are folded so that a context describes the shape of the path, not how long it dwelt on a level.
    if (this.lastLevel === level) return 0
    this.lastLevel = level
    // A number rather than an array of levels: no allocation per policy beyond the bitmap.
    this.key = (this.key * bins + level) % this.keySpace
    if (++this.distinct < order + 1) return 0
    const key = this.key
    const known = this.seenContexts.testAndAdd(key)
    if (known || this.olderContexts?.has(key) === true) return 0
    const gap = row - this.lastNovelRow
    this.lastNovelRow = row
    return row >= this.learningSteps ? gap / (gap + gapSteps) : 0
  }
}

/** Several resolutions of contextual novelty over the same values; see MultiResolutionContext. */
export interface MultiContextOptions {
  /** Quantisation levels of each resolution, e.g. [4, 6, 8, 10]; one entry behaves as ContextNovelty. */
  bins: readonly number[]
  order: number
  gapSteps: number
  forgetSteps?: number | undefined
  /** See ContextNoveltyOptions.maxSetBytes: the largest resolutions keep a Bloom filter of this size. */
  maxSetBytes?: number | undefined
}

/**
 * Contextual novelty at several resolutions at once, scored as the largest of them. One resolution is fragile:
 * where an anomaly crosses a level boundary depends on the bin count, so a single count that suits some series
 * misses the shape on others. Each resolution keeps its own quiet time, so a coarse grid that has long been
 * settled speaks up even when a fine one is still busy with noise. State is a bitmap of bins^(order+1) bits per
 * resolution (order 3: 4 -> 32 B, 6 -> 162 B, 8 -> 512 B, 10 -> 1.25 KB).
 */
export class MultiResolutionContext {
  private readonly parts: ContextNovelty[]

  constructor(opts: MultiContextOptions, learningSteps: number) {
    if (opts.bins.length === 0) throw new RangeError('multi-resolution context needs at least one bin count')
    this.parts = opts.bins.map((bins) => new ContextNovelty({ bins, order: opts.order, gapSteps: opts.gapSteps, forgetSteps: opts.forgetSteps, maxSetBytes: opts.maxSetBytes }, learningSteps))
  }

  /** Bytes of every resolution's context sets. */
  get bytes(): number {
    return this.parts.reduce((n, p) => n + p.bytes, 0)
  }

  /** Largest score of the resolutions for `value` given earlier rows; NaN is ignored and scores 0. */
  update(value: number): number {
    let best = 0
    for (const p of this.parts) {
      const s = p.update(value)
      if (s > best) best = s
    }
    return best
  }
}
