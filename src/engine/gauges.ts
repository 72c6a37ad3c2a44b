import { Gauge, type Registry } from 'prom-client'
import { turnBefore } from './turns.js'
import type { PolicyResult } from './types.js'
import { METRIC } from '../names.js'
import { POLICY_SERIES_HELP } from './series-text.js'

const HELP = new Map(POLICY_SERIES_HELP)
const help = (name: string): string => HELP.get(name) ?? name

type Labels = Record<string, string>
interface Series { gauge: Gauge<string>; labels: Labels; id: string; value: number }

function sameIds(a: readonly Series[], b: readonly Series[]): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]?.id)
}

/**
 * The per-policy gauges on /metrics, set in turns (10,000 policies make 60,000 series). Each publish sets every
 * policy's series and removes the ones it no longer has (a reason, quantile horizon, pod or whole policy gone)
 * instead of resetting the gauges first, so a scrape that lands between two turns sees each series with its
 * previous or its new value, never a series missing.
 */
export class PolicyGauges {
  private readonly desired: Gauge<string>
  private readonly forecast: Gauge<string>
  private readonly observed: Gauge<string>
  private readonly anomaly: Gauge<string>
  private readonly podAnomaly: Gauge<string>
  private readonly all: ReadonlyArray<Gauge<string>>
  /** policy key -> the series written for it by the last publish */
  private readonly written = new Map<string, Series[]>()

  constructor(registry: Registry) {
    const registers = [registry]
    this.desired = new Gauge({ name: METRIC.desiredReplicas, help: help(METRIC.desiredReplicas), labelNames: ['namespace', 'policy', 'reason'], registers })
    this.forecast = new Gauge({ name: METRIC.forecastLoad, help: help(METRIC.forecastLoad), labelNames: ['namespace', 'policy', 'quantile', 'horizon'], registers })
    this.observed = new Gauge({ name: METRIC.observedLoad, help: help(METRIC.observedLoad), labelNames: ['namespace', 'policy'], registers })
    this.anomaly = new Gauge({ name: METRIC.anomalyScore, help: help(METRIC.anomalyScore), labelNames: ['namespace', 'policy', 'class'], registers })
    this.podAnomaly = new Gauge({ name: METRIC.podAnomalyScore, help: help(METRIC.podAnomalyScore), labelNames: ['namespace', 'policy', 'pod', 'class'], registers })
    this.all = [this.desired, this.forecast, this.observed, this.anomaly, this.podAnomaly]
  }

  /**
   * `results`: policy key -> its result (undefined: the policy has none yet, so no series). Read as the publish
   * goes, in its turns.
   */
  async publish(results: Iterable<readonly [string, PolicyResult | undefined]>): Promise<void> {
    // `written` is brought up to date policy by policy, so it matches the gauges even if a publish stops midway.
    const seen = new Set<string>()
    let i = 0
    for (const [key, r] of results) {
      await turnBefore(i++)
      const now = r === undefined ? [] : this.series(r)
      for (const w of now) w.gauge.set(w.labels, w.value)
      const before = this.written.get(key) ?? []
      // Usually a policy keeps the same series from one refresh to the next: then nothing is to be removed.
      if (!sameIds(before, now)) {
        const ids = new Set(now.map((w) => w.id))
        for (const old of before) if (!ids.has(old.id)) old.gauge.remove(old.labels)
      }
      this.written.set(key, now)
      seen.add(key)
    }
    for (const [key, old] of this.written) {
      if (seen.has(key)) continue
      for (const w of old) w.gauge.remove(w.labels)
      this.written.delete(key)
    }
  }

  private series(r: PolicyResult): Series[] {
    const base = { namespace: r.namespace, policy: r.name }
    const out: Series[] = []
    // Label sets are unique within a gauge; across gauges they can repeat (observed and desired share namespace and
    // policy), hence the gauge's index in the id. A gauge's labels are always built in the same order, so their
    // values alone tell its series apart.
    const add = (gauge: Gauge<string>, labels: Labels, value: number): void => {
      out.push({ gauge, labels, value, id: `${this.all.indexOf(gauge)}\u0000${Object.values(labels).join('\u0000')}` })
    }
    if (r.desiredReplicas !== undefined) add(this.desired, { ...base, reason: r.reason }, r.desiredReplicas)
    if (r.observedLoad !== undefined) add(this.observed, base, r.observedLoad)
    if (r.forecast !== undefined) {
      const horizon = `${r.forecast.horizonSeconds}s`
      add(this.forecast, { ...base, quantile: '0.1', horizon }, r.forecast.p10)
      add(this.forecast, { ...base, quantile: '0.5', horizon }, r.forecast.p50)
      add(this.forecast, { ...base, quantile: '0.9', horizon }, r.forecast.p90)
    }
    if (r.anomaly !== undefined) add(this.anomaly, { ...base, class: r.anomaly.class }, r.anomaly.score)
    for (const pod of r.pods ?? []) add(this.podAnomaly, { ...base, pod: pod.pod, class: pod.class }, pod.score)
    return out
  }
}

