/**
 * The anomaly score of one series: the model's forecast misses (anomaly likelihood, miss record) and checks on
 * the value alone (range, contextual novelty, extreme record, flat run), combined by their largest score, then
 * a rising-edge suppression. Strictly online.
 */
import { MultiResolutionContext, type MultiContextOptions } from './context-novelty.js'
import { ErrorRecord, type ErrorRecordOptions } from './error-record.js'
import { ExtremeRecord, type ExtremeRecordOptions } from './extreme-record.js'
import { FlatRun, type FlatRunOptions } from './flat-run.js'
import { AnomalyLikelihood, DEFAULT_LIKELIHOOD, intervalMiss, rawSurprise, type LikelihoodOptions } from './likelihood.js'
import { RangeNovelty } from './range-novelty.js'
import { RisingEdge, type RampOptions } from './rising-edge.js'
import { WindowNovelty, type WindowNoveltyOptions } from './window-novelty.js'

export interface ScorerOptions {
  /** Its learningSteps is every check's learning period. */
  likelihood: LikelihoodOptions
  /** false leaves the anomaly likelihood out of the score (its learning period still applies); default true. */
  scoreLikelihood?: boolean
  /**
   * Several averaging spans for the likelihood at once (each its own AnomalyLikelihood, the largest score counts),
   * replacing likelihood.averagingSteps: a short span sees a sharp miss, a long one a sustained drift.
   */
  likelihoodSpans?: readonly number[] | undefined
  /** Range-novelty tolerance (share of the seen range); undefined turns the range check off. */
  rangeTolerance: number | undefined
  /** Record of the model's misses; undefined turns it off. */
  errorRecord?: ErrorRecordOptions | undefined
  /** Contextual novelty of the values at one or more resolutions (largest score); undefined turns it off. */
  context?: MultiContextOptions | undefined
  /** Novel window shapes at one or more scales (largest score); undefined or empty turns it off. */
  windows?: readonly WindowNoveltyOptions[] | undefined
  /** A new high or low scored by the quiet time since the last one; undefined turns it off. */
  extremes?: ExtremeRecordOptions | undefined
  /** A run of one repeated value longer than any before; undefined turns it off. */
  flatRun?: FlatRunOptions | undefined
  /**
   * How the forecast's score and the contextual novelty combine: 'max' (the larger) or 'or' (1 - (1-a)(1-b), so a
   * row both find unusual outranks one only either does). Default 'max'.
   */
  fusion?: 'max' | 'or' | undefined
  /** Rows a fired score must be beaten over before another counts (see RisingEdge); 0 turns this off. */
  suppressSteps?: number
  /** Within the suppression, how far a climbing score must rise to pass again (see RisingEdge). */
  ramp?: RampOptions | undefined
}

/**
 * The one detector: the engine serves it as foresight_anomaly_score and `npm run bench:nab` scores it. Its
 * components and learning period are what the leave-one-group-out validation (`bench:nab -- --logo`) chooses on
 * all of NAB's groups: chosen on any two groups every component is on (the context at 4-24 or 4-32 levels), and
 * each component held off lowers the held-out score (docs/benchmarks.md). The rising-edge suppression makes the score an edge, not a level: it is
 * non-zero on the row where a score beats the last 200 rows' (or a recent one by a clear step), so an alert holds
 * it with max_over_time rather than asking for it to stay up. The parameter values inside each component were
 * set on the whole NAB subset before this validation; the grid switches components on or off and a few variants.
 */
export const DEFAULT_SCORER: ScorerOptions = {
  likelihood: { ...DEFAULT_LIKELIHOOD, averagingSteps: 30 },
  rangeTolerance: 0.05,
  errorRecord: { averagingSteps: 10, historySteps: 2000 },
  // Paths of 3 levels at 4-32 levels; each resolution's set of met contexts at most 512 bytes (a Bloom filter
  // beyond 16 levels): 1,852 bytes of sets per policy, against 3,300 for the exact bitmaps of paths of 4 at 4-12
  // levels served before (2.6 KB of context state in all against 5.1 KB: `bench/scorer-memory.ts`).
  context: { bins: [4, 6, 8, 12, 16, 24, 32], order: 2, gapSteps: 1000, maxSetBytes: 512 },
  suppressSteps: 200,
  ramp: { steps: 5, margin: 0.2 },
  extremes: { gapSteps: 300, maxScore: 0.8 },
  flatRun: { minSteps: 30, maxScore: 1 },
}

/**
 * Which check gave a row its score: the forecast misses (likelihood, miss record), or a check on the value alone:
 * beyond the seen range, a new high or low after a quiet spell, stuck longer than ever, a path of levels not seen.
 */
export type AnomalyCause = 'forecast-surprise' | 'new-range' | 'new-extreme' | 'flat-run' | 'novel-pattern'

/**
 * Pairs each actual with the horizon-1 forecast made one step earlier. Call `score(actual)` for row t, then
 * `expect(...)` with the forecast made at t for row t+1. A value outside the range seen so far scores 1;
 * otherwise the score is the largest of the anomaly likelihood, the miss record, the contextual novelty, the
 * extreme record and the flat-run record, passed through the rising-edge suppression. Rows with no forecast or a
 * missing actual leave the forecast statistics untouched.
 */
export class OnlineAnomalyScorer {
  private readonly likelihoods: AnomalyLikelihood[]
  private readonly range: RangeNovelty | undefined
  private readonly record: ErrorRecord | undefined
  private readonly context: MultiResolutionContext | undefined
  private readonly extremes: ExtremeRecord | undefined
  private readonly windows: WindowNovelty[]
  private readonly flat: FlatRun | undefined
  private readonly edge: RisingEdge
  private readonly fuseOr: boolean
  private pending: [number, number, number] | undefined
  private lastCause: AnomalyCause = 'forecast-surprise'

  constructor(opts: ScorerOptions = DEFAULT_SCORER) {
    const learning = opts.likelihood.learningSteps
    const spans = opts.likelihoodSpans ?? [opts.likelihood.averagingSteps]
    this.likelihoods = opts.scoreLikelihood === false ? [] : spans.map((averagingSteps) => new AnomalyLikelihood({ ...opts.likelihood, averagingSteps }))
    this.range = opts.rangeTolerance === undefined ? undefined : new RangeNovelty(opts.rangeTolerance, learning)
    this.record = opts.errorRecord === undefined ? undefined : new ErrorRecord(opts.errorRecord, learning)
    this.context = opts.context === undefined ? undefined : new MultiResolutionContext(opts.context, learning)
    this.windows = (opts.windows ?? []).map((w) => new WindowNovelty(w, learning))
    this.extremes = opts.extremes === undefined ? undefined : new ExtremeRecord(opts.extremes, learning)
    this.flat = opts.flatRun === undefined ? undefined : new FlatRun(opts.flatRun, learning)
    this.edge = new RisingEdge(opts.suppressSteps ?? 0, opts.ramp)
    this.fuseOr = opts.fusion === 'or'
  }

  score(actual: number): number {
    const f = this.pending
    this.pending = undefined
    const novel = this.range?.update(actual) ?? false
    // Checks on the value alone: they score even on rows without a forecast.
    let context = this.context?.update(actual) ?? 0
    for (const w of this.windows) context = Math.max(context, w.update(actual))
    const extreme = this.extremes?.update(actual) ?? 0
    const flat = this.flat?.update(actual) ?? 0
    let forecastScore = 0
    if (f !== undefined && Number.isFinite(actual) && f.every(Number.isFinite)) {
      const raw = rawSurprise(actual, f[0], f[1], f[2])
      for (const l of this.likelihoods) forecastScore = Math.max(forecastScore, l.update(raw))
      if (this.record !== undefined) forecastScore = Math.max(forecastScore, this.record.update(intervalMiss(actual, f[0], f[1], f[2])))
    }
    // Ties go to the forecast, then in this order.
    let best = forecastScore
    let cause: AnomalyCause = 'forecast-surprise'
    if (this.fuseOr && context > 0) {
      const both = 1 - (1 - forecastScore) * (1 - context)
      if (context > forecastScore) cause = 'novel-pattern'
      best = both
    } else if (context > best) { best = context; cause = 'novel-pattern' }
    if (extreme > best) { best = extreme; cause = 'new-extreme' }
    if (flat > best) { best = flat; cause = 'flat-run' }
    if (novel) { best = 1; cause = 'new-range' }
    this.lastCause = cause
    return this.edge.update(best)
  }

  /** What gave the latest row its score (before the rising-edge suppression). */
  get cause(): AnomalyCause {
    return this.lastCause
  }

  expect(p10: number, p50: number, p90: number): void {
    this.pending = [p10, p50, p90]
  }
}
