/**
 * Contextual novelty in the spirit of CAD OSE: values are quantised into a few levels of the range seen so far
 * and the last `order + 1` distinct levels form a context. A context never met before is evidence of new
 * behaviour; how much depends on how long the series has gone without one, so noisy series that keep producing
 * new contexts stay quiet and settled ones speak up. Pure and online; its state is the set of contexts met.
 */
import { ContextSet, setHas, setRegion, setTestAndAdd, type SetRegion } from './context-set.js'
import { float64s, uint32s } from '../util/slab.js'

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
    this.seenContexts = new ContextSet(this.keySpace, opts.maxSetBytes)
    if (opts.forgetSteps !== undefined) {
      if (!(opts.forgetSteps >= 1)) throw new RangeError('context novelty needs forgetSteps >= 1')
      this.olderContexts = new ContextSet(this.keySpace, opts.maxSetBytes)
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

/** What every policy with the same options shares: each resolution's set region in the word buffer. */
interface Layout {
  regions: SetRegion[]
  /** Contexts possible per resolution: bins^(order + 1). */
  keySpaces: number[]
  /** Words of one generation of sets (all resolutions). */
  words: number
}

const layouts = new Map<string, Layout>()

function layoutOf(opts: MultiContextOptions): Layout {
  const id = `${opts.bins.join(',')}/${opts.order}/${opts.maxSetBytes ?? ''}`
  let l = layouts.get(id)
  if (l === undefined) {
    let words = 0
    const regions = opts.bins.map((bins) => {
      const r = setRegion(bins ** (opts.order + 1), opts.maxSetBytes, words)
      words += r.words
      return r
    })
    l = { regions, keySpaces: opts.bins.map((b) => b ** (opts.order + 1)), words }
    layouts.set(id, l)
  }
  return l
}

/** Per resolution in the state array: the context key, distinct levels seen (up to order + 1), last level, last novel row. */
const KEY = 0
const DISTINCT = 1
const LAST_LEVEL = 2
const LAST_NOVEL = 3
const FIELDS = 4

/**
 * Contextual novelty at several resolutions at once, scored as the largest of them. One resolution is fragile:
 * where an anomaly crosses a level boundary depends on the bin count, so a single count that suits some series
 * misses the shape on others. Each resolution keeps its own quiet time, so a coarse grid that has long been
 * settled speaks up even when a fine one is still busy with noise. Row by row it scores as the largest of one
 * ContextNovelty per resolution would; its state is flat (every set in one word buffer, the per-resolution numbers
 * in one array, the range shared) because the engine keeps one per policy: with paths of 3 levels at 4-32 levels
 * and sets of at most 512 bytes, 1,852 bytes of sets and 224 of numbers.
 */
export class MultiResolutionContext {
  private readonly layout: Layout
  private readonly learningSteps: number
  private readonly opts: MultiContextOptions
  /** One generation of sets, or two with forgetSteps (the current one first when `flipped` is false). */
  private readonly sets: Uint32Array
  private readonly state: Float64Array
  private flipped = false
  private min = Infinity
  private max = -Infinity
  private rows = 0

  constructor(opts: MultiContextOptions, learningSteps: number) {
    if (opts.bins.length === 0) throw new RangeError('multi-resolution context needs at least one bin count')
    if (!(opts.bins.every((b) => b >= 2) && opts.order >= 1 && opts.gapSteps > 0)) throw new RangeError('context novelty needs bins >= 2, order >= 1, gapSteps > 0')
    if (opts.forgetSteps !== undefined && !(opts.forgetSteps >= 1)) throw new RangeError('context novelty needs forgetSteps >= 1')
    this.opts = opts
    this.learningSteps = learningSteps
    this.layout = layoutOf(opts)
    this.sets = uint32s(this.layout.words * (opts.forgetSteps === undefined ? 1 : 2))
    this.state = float64s(opts.bins.length * FIELDS)
    for (let r = 0; r < opts.bins.length; r++) {
      this.state[r * FIELDS + LAST_LEVEL] = -1
      this.state[r * FIELDS + LAST_NOVEL] = -1
    }
  }

  /** Bytes of every resolution's context sets. */
  get bytes(): number {
    return this.sets.byteLength
  }

  /** Largest score of the resolutions for `value` given earlier rows; NaN is ignored and scores 0. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0
    const row = this.rows++
    const { bins: allBins, order, gapSteps, forgetSteps } = this.opts
    const { regions, keySpaces, words } = this.layout
    // With forgetSteps the buffer holds two generations; `current` and `older` are where each starts.
    if (forgetSteps !== undefined && row > 0 && row % forgetSteps === 0) {
      // What was met in the last period stays known through the next.
      this.flipped = !this.flipped
      this.sets.fill(0, this.flipped ? words : 0, this.flipped ? 2 * words : words)
    }
    const current = this.flipped ? words : 0
    const older = forgetSteps === undefined ? -1 : words - current
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const span = this.max - this.min
    const st = this.state
    let best = 0
    for (let r = 0; r < allBins.length; r++) {
      const bins = allBins[r] ?? 2
      const region = regions[r]
      if (region === undefined) continue
      const o = r * FIELDS
      const level = span > 0 ? Math.min(bins - 1, Math.floor(((value - this.min) / span) * bins)) : 0
      // Repeats are folded so that a context describes the shape of the path, not how long it dwelt on a level.
      if (st[o + LAST_LEVEL] === level) continue
      st[o + LAST_LEVEL] = level
      const key = ((st[o + KEY] ?? 0) * bins + level) % (keySpaces[r] ?? 1)
      st[o + KEY] = key
      const distinct = (st[o + DISTINCT] ?? 0) + 1
      if (distinct <= order + 1) st[o + DISTINCT] = distinct
      if (distinct < order + 1) continue
      const known = setTestAndAdd(this.sets, region, key, current)
      if (known || (older >= 0 && setHas(this.sets, region, key, older))) continue
      const gap = row - (st[o + LAST_NOVEL] ?? -1)
      st[o + LAST_NOVEL] = row
      const score = row >= this.learningSteps ? gap / (gap + gapSteps) : 0
      if (score > best) best = score
    }
    return best
  }
}
