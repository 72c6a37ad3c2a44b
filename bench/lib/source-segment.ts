/**
 * One series of a source for bench:autoscale --source: its load on the grid of its own step, the held-out period
 * to simulate, and its capacity; or why it cannot be simulated. Rows are steps, as the split, training and
 * bench:forecast count them; nothing is resampled.
 */
import { fromRows, type LoadSeries } from '../../src/sim/load.js'
import type { SplitEntry } from './split.js'
import type { Series } from './traces.js'
import { TRACE_STEPS_SECONDS } from './user-trace.js'

/**
 * The replicas NASA's mean load needs at bench:autoscale's 0.1 req/s per replica (41.7 requests per minute before
 * its held-out segment): another series' capacity is its own mean before the held-out segment divided by this.
 */
export const TRACE_MEAN_REPLICAS = 6.95

export type SourceSegment =
  | { ok: true; load: LoadSeries; fromRow: number; toRow: number; fromMs: number; toMs: number; capacityPerReplica: number; stepSeconds: number; irregularSpacings: number }
  | { ok: false; reason: string }

/** A series' rows on the epoch-aligned grid of its step, the grid the engine reads Prometheus on. */
export function gridStartMs(firstMs: number, stepMs: number): number {
  return Math.floor(firstMs / stepMs) * stepMs
}

/** Mean of the valid values in rows [0, end). */
export function meanBefore(values: Float64Array, end: number): number {
  let sum = 0
  let n = 0
  for (let i = 0; i < end; i++) {
    const v = values[i] ?? NaN
    if (Number.isFinite(v)) {
      sum += v
      n++
    }
  }
  return sum / n
}

/**
 * `e`: the series' split entry (its step, held-out and validation starts). `segment`: the rows simulated, the held-out
 * ones [heldoutStartIndex, rows) or the validation ones [validationStartIndex, heldoutStartIndex), where settings are
 * chosen. The capacity is the mean before the held-out rows either way, so both segments scale the same workload.
 */
export function sourceSegment(series: Series, e: Pick<SplitEntry, 'stepSeconds' | 'heldoutStartIndex' | 'validationStartIndex'>, segment: 'heldout' | 'validation' = 'heldout'): SourceSegment {
  const step = e.stepSeconds
  if (!TRACE_STEPS_SECONDS.includes(step)) return { ok: false, reason: `a ${step} s step; a policy reads its load at most every 600 s (spec.stepSeconds), at whole minutes dividing a day` }
  if (series.stepSeconds !== step) return { ok: false, reason: `the file's most common spacing is ${series.stepSeconds} s but the split says ${step} s` }
  const rows = series.values.length
  if (!(e.heldoutStartIndex > 0 && e.heldoutStartIndex < rows)) return { ok: false, reason: `held-out start ${e.heldoutStartIndex} is outside its ${rows} rows` }
  const v = e.validationStartIndex
  if (segment === 'validation' && !(v !== undefined && v >= 0 && v < e.heldoutStartIndex)) return { ok: false, reason: v === undefined ? 'the split gives it no validation rows' : `validation start ${v} is not before the held-out start ${e.heldoutStartIndex}` }
  const mean = meanBefore(series.values, e.heldoutStartIndex)
  const capacityPerReplica = Number((mean / TRACE_MEAN_REPLICAS).toPrecision(3))
  if (!(capacityPerReplica > 0)) return { ok: false, reason: `the mean before the held-out segment is ${mean}: no capacity per replica follows from it` }
  const stepMs = step * 1000
  let irregularSpacings = 0
  for (let i = 1; i < rows; i++) if ((series.timestampsMs[i] ?? 0) - (series.timestampsMs[i - 1] ?? 0) !== stepMs) irregularSpacings++
  const gridMs = gridStartMs(series.timestampsMs[0] ?? 0, stepMs)
  const [fromRow, toRow] = segment === 'validation' ? [v ?? 0, e.heldoutStartIndex] : [e.heldoutStartIndex, rows]
  return { ok: true, load: fromRows(series.values, gridMs, stepMs), fromRow, toRow, fromMs: gridMs + fromRow * stepMs, toMs: gridMs + toRow * stepMs, capacityPerReplica, stepSeconds: step, irregularSpacings }
}
