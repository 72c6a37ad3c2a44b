/**
 * The load series a simulation replays, in Prometheus' convention: values[i] is the sample at
 * startMs + i * stepMs and describes the step that ENDS there (a rate over the last step), so a strategy at time
 * t may use exactly the samples stamped <= t and the demand during [T - step, T) is the sample at T.
 */
import type { HistoryReader, Window, WindowResult } from '../ports.js'
import { policyKey, type Policy } from '../policy/schema.js'

export type LoadSeries = Window

/** Index of the newest sample stamped at or before `nowMs` (may be out of range). */
export function lastSampleIndex(load: LoadSeries, nowMs: number): number {
  return Math.floor((nowMs - load.startMs) / load.stepMs)
}

/** The load offered at `nowMs`: the sample of the step containing it; NaN when unknown. */
export function demandAt(load: LoadSeries, nowMs: number): number {
  return load.values[lastSampleIndex(load, nowMs) + 1] ?? NaN
}

/** A rows-as-minutes trace (row i covers [t_i, t_i + step)) as samples stamped at the end of each row. */
export function fromRows(values: Float64Array, firstRowStartMs: number, stepMs: number): LoadSeries {
  return { values, startMs: firstRowStartMs + stepMs, stepMs }
}

/**
 * History for the engine over a load series, as Prometheus would answer a range query of the policy's load
 * query: the same series for every policy, NaN outside it. Reads never see samples after the range end, and
 * the engine asks for ranges ending at its `now`, so there is no look-ahead.
 */
export class SeriesHistory implements HistoryReader {
  reads = 0
  constructor(private readonly load: LoadSeries) {}

  read(policies: readonly Policy[], range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> {
    this.reads++
    const stepMs = range.stepSeconds * 1000
    const n = Math.floor((range.endMs - range.startMs) / stepMs) + 1
    const values = new Float64Array(n)
    for (let i = 0; i < n; i++) values[i] = this.sampleAt(range.startMs + i * stepMs)
    const out = new Map<string, WindowResult>()
    for (const p of policies) out.set(policyKey(p), { ok: true, window: { values: values.slice(), startMs: range.startMs, stepMs } })
    return Promise.resolve(out)
  }

  /** The sample at or just before `ms` on the series' grid, as a Prometheus range query with a coarser step. */
  private sampleAt(ms: number): number {
    const i = lastSampleIndex(this.load, ms)
    return i >= 0 ? (this.load.values[i] ?? NaN) : NaN
  }
}


/** Samples (not gaps) in values[from, to). */
export function countValid(values: Float64Array, from: number, to: number): number {
  let n = 0
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) if (Number.isFinite(values[i] ?? NaN)) n++
  return n
}
