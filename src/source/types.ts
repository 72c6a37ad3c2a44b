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

/** What the external metrics API serves from: the prediction engine (EngineMetricSource), or a replay in tests. */
export interface MetricSource {
  /** Metric names listed in discovery; never empty (kubectl stops caching discovery on an empty list). */
  readonly metricNames: readonly string[]
  readiness(): { ready: boolean; reason: string }
  /**
   * `policyNames`, when given, are the only policies the caller's selector can match: the source may skip the
   * others (it must still return every matching series of these).
   */
  query(namespace: string, metricName: string, policyNames?: ReadonlySet<string>): QueryResult
}

export const POLICY_LABEL = 'foresight.dev/policy'
