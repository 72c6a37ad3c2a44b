import type { Policy } from './policy/schema.js'

// The engine's ports, defined once: what it reads history and pod signals through (implemented by the Prometheus
// readers in prometheus/ and the trace replay in replay/), and what the external metrics API serves from
// (implemented by the engine's EngineMetricProvider). Nothing here depends on an implementation.

/** A window of one series on a fixed step grid: values[i] is the sample at startMs + i * stepMs (NaN = gap). */
export interface Window { values: Float64Array; startMs: number; stepMs: number }

/** `noSeries`: the query matched nothing in the range (the workload may be younger than it), as opposed to a failure. */
export type WindowResult = { ok: true; window: Window } | { ok: false; error: string; noSeries?: true }

/** Where history comes from (Prometheus in a cluster). One call reads the same range for many policies. */
export interface HistoryReader {
  read(policies: readonly Policy[], range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>>
}

export type PodSignalClass = 'error' | 'latency' | 'saturation'

/**
 * Latest value per pod of each per-pod signal a policy declares (spec.podSignals). `requests`: the request count
 * behind each pod's error ratio; it is no anomaly class of its own, it sizes the error class's noise.
 */
export type PodSignals = Partial<Record<PodSignalClass | 'requests', ReadonlyMap<string, number>>>

export interface PodSignalReader {
  read(policies: readonly Policy[], atMs: number): Promise<Map<string, PodSignals | { error: string }>>
}

/** One served value of an external metric, before it is rendered as an ExternalMetricValue. */
export interface MetricItem {
  metricName: string
  labels: Readonly<Record<string, string>>
  value: number
  timestamp: Date
  windowSeconds?: number
}

export type QueryResult =
  /**
   * `pending`: label sets of series that exist but have no data yet (a selector that names one is a 503), and
   * `pendingLaterKeys`: the label keys such series will carry once they have data (a selector's requirements on
   * those cannot rule them out yet).
   */
  | { state: 'ok'; items: readonly MetricItem[]; pending?: ReadonlyArray<Readonly<Record<string, string>>>; pendingLaterKeys?: readonly string[] }
  | { state: 'not-ready'; reason: string }
  | { state: 'unknown-metric' }

/** What the external metrics API serves from: the prediction engine's results (EngineMetricProvider). */
export interface MetricProvider {
  /** Metric names listed in discovery; never empty (kubectl stops caching discovery on an empty list). */
  readonly metricNames: readonly string[]
  readiness(): { ready: boolean; reason: string }
  /**
   * `policyNames`, when given, are the only policies the caller's selector can match: the provider may skip the
   * others (it must still return every matching series of these).
   */
  query(namespace: string, metricName: string, policyNames?: ReadonlySet<string>): QueryResult
}
