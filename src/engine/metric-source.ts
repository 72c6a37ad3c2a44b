import { POLICY_LABEL, type MetricItem, type MetricSource, type QueryResult } from '../source/types.js'
import { FAILURE_REASONS } from './fallback.js'
import type { PolicyResult, ServingEngine } from './types.js'

export const ENGINE_METRICS = {
  desiredReplicas: 'foresight_desired_replicas',
  forecastLoad: 'foresight_forecast_load',
  observedLoad: 'foresight_observed_load',
  anomalyScore: 'foresight_anomaly_score',
  podAnomalyScore: 'foresight_pod_anomaly_score',
} as const

type Render = (r: PolicyResult) => Array<{ value: number; labels: Record<string, string> }>

// A Map: the metric name comes from the request path, and a plain object would answer `constructor` too.
const RENDER: ReadonlyMap<string, Render> = new Map<string, Render>([
  [ENGINE_METRICS.desiredReplicas, (r) => (r.desiredReplicas !== undefined ? [{ value: r.desiredReplicas, labels: { 'foresight.dev/reason': r.reason } }] : [])],
  [ENGINE_METRICS.observedLoad, (r) => (r.observedLoad !== undefined ? [{ value: r.observedLoad, labels: {} }] : [])],
  [ENGINE_METRICS.forecastLoad, (r) => {
    const f = r.forecast
    if (f === undefined) return []
    const horizon = `${f.horizonSeconds}s`
    return [['0.1', f.p10], ['0.5', f.p50], ['0.9', f.p90]].map(([q, v]) => ({ value: Number(v), labels: { quantile: String(q), horizon } }))
  }],
  [ENGINE_METRICS.podAnomalyScore, (r) => (r.pods ?? []).map((p) => ({ value: p.score, labels: { pod: p.pod, class: p.class, reason: p.reason } }))],
  [ENGINE_METRICS.anomalyScore, (r) => (r.anomaly !== undefined ? [{ value: r.anomaly.score, labels: { class: r.anomaly.class, reason: r.anomaly.reason } }] : [])],
])

/** The label keys each metric's series carry besides the policy label (engine.test.ts checks it against what is rendered). */
export const SERIES_LABEL_KEYS: Readonly<Record<string, readonly string[]>> = {
  [ENGINE_METRICS.desiredReplicas]: ['foresight.dev/reason'],
  [ENGINE_METRICS.observedLoad]: [],
  [ENGINE_METRICS.forecastLoad]: ['quantile', 'horizon'],
  [ENGINE_METRICS.podAnomalyScore]: ['pod', 'class', 'reason'],
  [ENGINE_METRICS.anomalyScore]: ['class', 'reason'],
}

/** The policies as the policy source has them now (a PolicySource is one). */
export interface ListedPolicies {
  list(): ReadonlyArray<{ metadata: { namespace: string; name: string } }>
  get(key: string): unknown
}

const NONE_LISTED: ListedPolicies = { list: () => [], get: () => undefined }

/** Serves the engine's cached results; never computes on the request path. */
export class EngineMetricSource implements MetricSource {
  readonly metricNames = Object.values(ENGINE_METRICS)
  private refreshed = false

  /**
   * `listed`: a policy added since the last refresh has no result yet, and an HPA applied with it must hear "not
   * ready" (503), not "no such series" (404).
   */
  constructor(private readonly engine: ServingEngine, private readonly listed: ListedPolicies = NONE_LISTED) {}

  markRefreshed(): void {
    this.refreshed = true
  }

  readiness(): { ready: boolean; reason: string } {
    return this.refreshed ? { ready: true, reason: 'first refresh done' } : { ready: false, reason: 'waiting for the first refresh' }
  }

  query(namespace: string, metricName: string, policyNames?: ReadonlySet<string>): QueryResult {
    const render = RENDER.get(metricName)
    if (render === undefined) return { state: 'unknown-metric' }
    if (!this.refreshed) return { state: 'not-ready', reason: 'the first refresh has not finished' }
    const items: MetricItem[] = []
    const pending: Array<Record<string, string>> = []
    const withResult = new Set<string>()
    // An HPA's selector names its policy: a lookup, not a scan of every policy, on the path HPAs poll.
    const results = policyNames === undefined ? this.engine.allResults(namespace) : this.engine.resultsNamed(namespace, policyNames)
    for (const r of results) {
      withResult.add(r.name)
      const rendered = render(r)
      // Only a policy without data makes the answer "not ready" (also one served from its failure path: its
      // forecast, observed load and scores come back with the data); one that simply has no such series does not.
      if (rendered.length === 0 && (r.desiredReplicas === undefined || FAILURE_REASONS.has(r.reason))) pending.push({ [POLICY_LABEL]: r.name })
      for (const { value, labels } of rendered) {
        if (!Number.isFinite(value)) continue
        items.push({ metricName, labels: { [POLICY_LABEL]: r.name, ...labels }, value, timestamp: new Date(r.dataTimeMs), windowSeconds: r.explain.stepSeconds })
      }
    }
    const listedNames = policyNames === undefined
      ? this.listed.list().filter((p) => p.metadata.namespace === namespace).map((p) => p.metadata.name)
      : [...policyNames].filter((name) => this.listed.get(`${namespace}/${name}`) !== undefined)
    for (const name of listedNames) if (!withResult.has(name)) pending.push({ [POLICY_LABEL]: name })
    // Even when no policy here has data, the selector decides between 503 (it names a policy still waiting) and
    // 404 (it names none): that is the API's call, with the pending label sets.
    return pending.length > 0 ? { state: 'ok', items, pending, pendingLaterKeys: SERIES_LABEL_KEYS[metricName] ?? [] } : { state: 'ok', items }
  }
}
