/**
 * Validation of query_range answers and their conversion to fixed-step windows.
 *
 * Load queries should be rates (`sum(rate(x_total[5m]))`): PromQL's rate() already handles counter resets, so
 * the engine never sees raw counters. `counterIncreases` is there for callers that must read a raw counter.
 * Stale markers never reach the HTTP API (Prometheus answers them as missing points); NaN and ±Inf samples that
 * a query computes (0/0, x/0) are dropped here and become gaps like any missing point.
 */
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

interface MatrixSeries {
  metric: Record<string, string>
  values: unknown[]
}

// The shape is checked by hand, not by a schema library: the engine's worker thread parses every answer, and a
// schema library there would be a second copy of the one the main thread loads for its configuration (about
// 3 MiB of the worker's heap, bench:memory). The messages say what a schema would: what was expected, what came,
// and where (the first problem in document order).

/** The JSON type of a value as the messages name it. */
function received(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN'
  return typeof v
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function shapeError(expected: string, v: unknown, path: ReadonlyArray<string | number>): PrometheusAnswerError {
  return new PrometheusAnswerError(`not a query_range answer (Invalid input: expected ${expected}, received ${received(v)} at ${path.join('.')})`)
}

/** A series' labels as a fresh object: own enumerable keys, string values; a "__proto__" key is dropped. */
function checkLabels(v: unknown, path: ReadonlyArray<string | number>): Record<string, string> {
  if (!isObject(v)) throw shapeError('record', v, path)
  const labels: Record<string, string> = {}
  for (const key of Object.keys(v)) {
    if (key === '__proto__') continue
    const value = v[key]
    if (typeof value !== 'string') throw shapeError('string', value, [...path, key])
    labels[key] = value
  }
  return labels
}

/** `{status: "success", data: {resultType, result: [{metric, values}]}}`, or the first place it is not. */
function checkMatrix(body: unknown): { resultType: string; result: MatrixSeries[] } {
  if (!isObject(body)) throw shapeError('object', body, [])
  if (body.status !== 'success') throw new PrometheusAnswerError('not a query_range answer (Invalid input: expected "success" at status)')
  const data = body.data
  if (!isObject(data)) throw shapeError('object', data, ['data'])
  const { resultType, result } = data
  if (typeof resultType !== 'string') throw shapeError('string', resultType, ['data', 'resultType'])
  if (!Array.isArray(result)) throw shapeError('array', result, ['data', 'result'])
  const series = result.map((s: unknown, i): MatrixSeries => {
    if (!isObject(s)) throw shapeError('object', s, ['data', 'result', i])
    const metric = checkLabels(s.metric, ['data', 'result', i, 'metric'])
    if (!Array.isArray(s.values)) throw shapeError('array', s.values, ['data', 'result', i, 'values'])
    return { metric, values: s.values as unknown[] }
  })
  return { resultType, result: series }
}

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** A sample value as Prometheus writes it; NaN for NaN and ±Inf, an error for anything else. */
export function parseSampleValue(text: string): number {
  if (FLOAT.test(text)) return Number(text)
  if (text === 'NaN' || text === '+Inf' || text === '-Inf' || text === 'Inf') return NaN
  throw new PrometheusAnswerError(`sample value ${JSON.stringify(text.slice(0, 40))} is not a number`)
}

/** Checks a query_range JSON body and converts it; the limits are checked before any sample is converted. */
export function parseRangeAnswer(body: unknown, limits: AnswerLimits): RawSeries[] {
  const { resultType, result } = checkMatrix(body)
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
