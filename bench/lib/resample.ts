/**
 * A series at a coarser step, for benches that ask how the forecasters fare there (e.g. NASA at 5 minutes).
 */
import type { SplitEntry } from './split.js'
import type { Series } from './traces.js'

/**
 * Means of consecutive buckets of `factor` rows, from row 0 (a trailing partial bucket is dropped); each bucket
 * keeps its first row's timestamp. A bucket with any invalid row is invalid, as in the training pipeline's
 * 5-minute NASA series: a mean over the remaining rows would blend a gap or an outage edge into the load.
 */
export function resampleMeans(series: Series, factor: number): Series {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`factor must be a positive integer, got ${factor}`)
  const n = Math.floor(series.values.length / factor)
  const timestampsMs = new Float64Array(n)
  const values = new Float64Array(n).fill(NaN)
  const valid = new Uint8Array(n)
  for (let k = 0; k < n; k++) {
    timestampsMs[k] = series.timestampsMs[k * factor] ?? NaN
    let sum = 0
    let ok = true
    for (let i = k * factor; i < (k + 1) * factor; i++) {
      ok &&= series.valid[i] === 1
      sum += series.values[i] ?? NaN
    }
    if (!ok) continue
    values[k] = sum / factor
    valid[k] = 1
  }
  return { name: series.name, timestampsMs, values, valid, stepSeconds: series.stepSeconds * factor }
}

/**
 * The split entry of a series resampled by `factor`. The held-out segment starts at the first bucket lying wholly
 * in the held-out rows, so no target holds a row from before it; a bucket straddling the boundary counts with the
 * rows before it (its held-out rows can then reach a baseline's fit or the MASE scale, never a target).
 */
export function resampleHeldout<E extends SplitEntry>(entry: E, factor: number): E {
  const { periodDaySteps, periodWeekSteps } = entry
  if (periodDaySteps % factor !== 0 || periodWeekSteps % factor !== 0) throw new RangeError(`factor ${factor} does not divide the periods ${periodDaySteps}/${periodWeekSteps}`)
  return {
    ...entry,
    rows: Math.floor(entry.rows / factor),
    stepSeconds: entry.stepSeconds * factor,
    periodDaySteps: periodDaySteps / factor,
    periodWeekSteps: periodWeekSteps / factor,
    heldoutStartIndex: Math.ceil(entry.heldoutStartIndex / factor),
    unseenStartIndex: Math.ceil(entry.unseenStartIndex / factor),
  }
}
