/**
 * Validation of query_range answers and their conversion to fixed-step windows.
 *
 * Load queries should be rates (`sum(rate(x_total[5m]))`): PromQL's rate() already handles counter resets, so
 * the engine never sees raw counters. `counterIncreases` is there for callers that must read a raw counter.
 * Stale markers never reach the HTTP API (Prometheus answers them as missing points); NaN and ±Inf samples that
 * a query computes (0/0, x/0) are dropped here and become gaps like any missing point.
 */
import { z } from 'zod'
import type { Window } from '../ports.js'
import { ExtraSeriesError, MissingSeriesError, OversizedAnswerError, PrometheusAnswerError } from './errors.js'

/** One series as answered: sample times and values, in answer order. */
export interface RawSeries {
  /** As answered, __name__ included when the query keeps it. */
  labels: Readonly<Record<string, string>>
  timestampsMs: Float64Array
  /** NaN where Prometheus answered NaN or ±Inf. */
  values: Float64Array
}


export interface AnswerLimits {
  maxSeries: number
  /** Samples over all series of one answer. */
  maxPoints: number
}

const matrixSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.string(),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.unknown()) })),
  }),
})

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** A sample value as Prometheus writes it; NaN for NaN and ±Inf, an error for anything else. */
export function parseSampleValue(text: string): number {
  if (FLOAT.test(text)) return Number(text)
  if (text === 'NaN' || text === '+Inf' || text === '-Inf' || text === 'Inf') return NaN
  throw new PrometheusAnswerError(`sample value ${JSON.stringify(text.slice(0, 40))} is not a number`)
}

/** Checks a query_range JSON body and converts it; the limits are checked before any sample is converted. */
export function parseRangeAnswer(body: unknown, limits: AnswerLimits): RawSeries[] {
  const parsed = matrixSchema.safeParse(body)
  if (!parsed.success) throw new PrometheusAnswerError(`not a query_range answer (${parsed.error.issues[0]?.message ?? 'bad shape'} at ${parsed.error.issues[0]?.path.join('.') ?? ''})`)
  const { resultType, result } = parsed.data.data
  if (resultType !== 'matrix') throw new PrometheusAnswerError(`expected a matrix, got a ${resultType}`)
  if (result.length > limits.maxSeries) throw new OversizedAnswerError(`${result.length} series, more than the limit of ${limits.maxSeries}`)
  const points = result.reduce((n, s) => n + s.values.length, 0)
  if (points > limits.maxPoints) throw new OversizedAnswerError(`${points} samples, more than the limit of ${limits.maxPoints}`)
  return result.map((s) => {
    const labels = s.metric
    const n = s.values.length
    const timestampsMs = new Float64Array(n)
    const values = new Float64Array(n)
    s.values.forEach((raw, i) => {
      // Checked by hand, not by a schema: this runs for every sample of every answer, and a schema parse
      // allocates a copy of each.
      if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'number' || !Number.isFinite(raw[0]) || typeof raw[1] !== 'string') {
        throw new PrometheusAnswerError(`sample ${i} of a series is not [time, "value"]`)
      }
      timestampsMs[i] = Math.round(raw[0] * 1000)
      values[i] = parseSampleValue(raw[1])
    })
    return { labels, timestampsMs, values }
  })
}

/** Points on the grid [startMs, endMs] (both included). */
export function gridLength(startMs: number, endMs: number, stepMs: number): number {
  if (!(stepMs > 0) || endMs < startMs) throw new RangeError(`bad range [${startMs}, ${endMs}] step ${stepMs} ms`)
  return Math.floor((endMs - startMs) / stepMs) + 1
}

/**
 * Places samples on the grid: each goes to the nearest grid point within half a step (query_range answers are
 * already on the grid, this only absorbs float rounding); points with no sample, or NaN samples, stay NaN.
 */
export function resample(series: RawSeries, startMs: number, endMs: number, stepMs: number): Window {
  const values = new Float64Array(gridLength(startMs, endMs, stepMs)).fill(NaN)
  for (let i = 0; i < series.timestampsMs.length; i++) {
    const t = series.timestampsMs[i] ?? NaN
    const v = series.values[i] ?? NaN
    const k = Math.round((t - startMs) / stepMs)
    if (k < 0 || k >= values.length || Math.abs(startMs + k * stepMs - t) * 2 >= stepMs) continue
    if (Number.isFinite(v)) values[k] = v
  }
  return { values, startMs, stepMs }
}

/** The one series a load query must return. */
export function expectOne(series: readonly RawSeries[], query: string): RawSeries {
  const [first] = series
  if (first === undefined) throw new MissingSeriesError(query)
  if (series.length > 1) throw new ExtraSeriesError(query, series.map((s) => s.labels))
  return first
}

/** Per-pod answers keyed by the pod label; a series without it, or two for one pod, make the answer unusable. */
export function byPod(series: readonly RawSeries[], podLabel: string, query: string): Map<string, RawSeries> {
  const out = new Map<string, RawSeries>()
  for (const s of series) {
    const pod = s.labels[podLabel]
    if (pod === undefined || pod === '') throw new PrometheusAnswerError(`a series of ${JSON.stringify(query)} has no "${podLabel}" label; keep the pod label (for example sum by (${podLabel}) (...))`)
    if (out.has(pod)) throw new ExtraSeriesError(query, series.filter((x) => x.labels[podLabel] === pod).map((x) => x.labels))
    out.set(pod, s)
  }
  return out
}

/**
 * Per-step increase of a raw counter on a grid: a drop is a reset, after which the new value is all increase
 * (as PromQL's increase() counts it). Steps next to a gap are NaN.
 */
export function counterIncreases(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length).fill(NaN)
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1] ?? NaN
    const cur = values[i] ?? NaN
    if (!Number.isFinite(prev) || !Number.isFinite(cur)) continue
    out[i] = cur >= prev ? cur - prev : cur
  }
  return out
}
