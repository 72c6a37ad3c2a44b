/**
 * Online anomaly scoring from quantile forecasts, in the manner of HTM's anomaly likelihood: a raw surprise per
 * step (how far the actual fell from the median, in units of the forecast's own 80% interval), then how unusual
 * the recent surprises are compared with their long-run distribution, log-scaled into [0,1]. Everything uses
 * past and current rows only.
 */
import { Ring } from '../forecast/ring.js'
import { BlockStats } from './block-stats.js'

/**
 * |actual - p50| / (p90 - p10 + eps), squashed by s / (1 + s) into [0,1) so that a few huge misses cannot
 * dominate the long-run mean and deviation the likelihood is measured against. `eps` keeps flat stretches
 * (zero-width intervals) from turning rounding noise into certainty; it scales with the level.
 */
export function rawSurprise(actual: number, p10: number, p50: number, p90: number, epsRel = 1e-3, epsAbs = 1e-6): number {
  const s = intervalMiss(actual, p10, p50, p90, epsRel, epsAbs)
  return s / (1 + s)
}

/** Complementary error function; Chebyshev fit with relative error below 1.2e-7 everywhere. */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const poly =
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  const r = t * Math.exp(poly)
  return x >= 0 ? r : 2 - r
}

/** Gaussian upper tail probability P(Z > z). */
export function gaussianTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2)
}

const LOG_FLOOR = 1e-10

/**
 * Maps a tail probability to [0,1] on a log scale: 0.5 -> 0.03, 1e-4 -> 0.4, 1e-5 -> 0.5, <= 1e-10 -> 1, so that
 * thresholds near 0.5 separate "rare" from "very rare" instead of crowding against 1.
 */
export function logScaledTail(tailProbability: number): number {
  const v = Math.log(tailProbability + LOG_FLOOR) / Math.log(LOG_FLOOR)
  return Math.min(1, Math.max(0, v))
}

export interface LikelihoodOptions {
  /** Rows answered with `warmupScore` while the first statistics are gathered. */
  learningSteps: number
  /** Short moving-average window over raw surprises (HTM uses 10). */
  averagingSteps: number
  /** Long history of averaged surprises that defines "usual" (HTM uses 8640). */
  historySteps: number
  /** Re-estimate the long-run mean and deviation this often. */
  reestimateEverySteps: number
  /** Floor on the long-run deviation; raw surprises live in [0,1). */
  minStd: number
  warmupScore: number
}

export const DEFAULT_LIKELIHOOD: LikelihoodOptions = {
  learningSteps: 300,
  averagingSteps: 10,
  historySteps: 8640,
  reestimateEverySteps: 100,
  minStd: 0.02,
  warmupScore: 0,
}

/** Strictly online: each `update` sees one raw surprise and returns the score for that row. */
export class AnomalyLikelihood {
  private readonly short: Ring
  private shortSum = 0
  private readonly history: BlockStats
  private seen = 0
  private mean = NaN
  private std = NaN
  private sinceEstimate = 0

  constructor(private readonly opts: LikelihoodOptions = DEFAULT_LIKELIHOOD) {
    this.short = new Ring(opts.averagingSteps)
    // Statistics per re-estimation period rather than every value: the same baseline in constant memory.
    this.history = new BlockStats(opts.historySteps, opts.reestimateEverySteps)
  }

  update(raw: number): number {
    if (this.short.length === this.opts.averagingSteps) this.shortSum -= this.short.at(this.opts.averagingSteps - 1)
    this.short.push(raw)
    this.shortSum += raw
    const avg = this.shortSum / this.short.length
    this.seen++
    this.sinceEstimate++
    // The current row is scored against statistics from earlier rows only, then joins the history.
    const ready = this.seen > this.opts.learningSteps
    if (ready && (!Number.isFinite(this.mean) || this.sinceEstimate >= this.opts.reestimateEverySteps)) this.estimate()
    const score = ready ? logScaledTail(gaussianTail((avg - this.mean) / this.std)) : this.opts.warmupScore
    this.history.push(avg)
    return score
  }

  private estimate(): void {
    this.sinceEstimate = 0
    const { mean, std } = this.history.stats()
    this.mean = mean
    this.std = Math.max(this.opts.minStd, std)
  }
}

/** |actual - p50| in units of the forecast's 80% interval, with rawSurprise's floor on the width. */
export function intervalMiss(actual: number, p10: number, p50: number, p90: number, epsRel = 1e-3, epsAbs = 1e-6): number {
  return Math.abs(actual - p50) / (Math.max(0, p90 - p10) + epsAbs + epsRel * Math.abs(p50))
}
