import { type MetricItem, type MetricProvider, type QueryResult } from '../ports.js'
import { LABEL, METRIC, METRIC_NAMES, POLICY_LABEL, SERIES_LABEL_KEYS, type MetricName } from '../names.js'
import { FAILURE_REASONS } from './fallback.js'
import type { PolicyResult, ServingEngine } from './types.js'

type Render = (r: PolicyResult) => Array<{ value: number; labels: Record<string, string> }>

// A Map, not an object: a request's metric name indexes it, and `constructor` or `__proto__` must be unknown.
const RENDER: ReadonlyMap<string, Render> = new Map<MetricName, Render>([
  [METRIC.desiredReplicas, (r) => (r.desiredReplicas !== undefined ? [{ value: r.desiredReplicas, labels: { [LABEL.reason]: r.reason } }] : [])],
  [METRIC.observedLoad, (r) => (r.observedLoad !== undefined ? [{ value: r.observedLoad, labels: {} }] : [])],
  [METRIC.forecastLoad, (r) => {
    const f = r.forecast
    if (f === undefined) return []
    const horizon = `${f.horizonSeconds}s`
    return [['0.1', f.p10], ['0.5', f.p50], ['0.9', f.p90]].map(([q, v]) => ({ value: Number(v), labels: { [LABEL.quantile]: String(q), [LABEL.horizon]: horizon } }))
  }],
  [METRIC.podAnomalyScore, (r) => (r.pods ?? []).map((p) => ({ value: p.score, labels: { [LABEL.pod]: p.pod, [LABEL.class]: p.class, [LABEL.anomalyReason]: p.reason } }))],
  [METRIC.anomalyScore, (r) => (r.anomaly !== undefined ? [{ value: r.anomaly.score, labels: { [LABEL.class]: r.anomaly.class, [LABEL.anomalyReason]: r.anomaly.reason } }] : [])],
])

/** The policies as the policy source has them now (a PolicySource is one). */
export interface ListedPolicies {
  list(): ReadonlyArray<{ metadata: { namespace: string; name: string } }>
  get(key: string): unknown
}

const NONE_LISTED: ListedPolicies = { list: () => [], get: () => undefined }

/** Serves the engine's cached results; never computes on the request path. */
export class EngineMetricProvider implements MetricProvider {
  readonly metricNames = METRIC_NAMES
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
    return pending.length > 0 ? { state: 'ok', items, pending, pendingLaterKeys: SERIES_LABEL_KEYS[metricName as MetricName] } : { state: 'ok', items }
  }
}
