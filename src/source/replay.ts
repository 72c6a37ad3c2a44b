import { join } from 'node:path'
import type { ReplaySourceConfig } from '../config/schema.js'
import { packageRoot } from '../util/paths.js'
import { readTrace, type Trace } from './trace.js'
import { METRIC, POLICY_LABEL, type MetricItem, type MetricSource, type QueryResult } from './types.js'

export const bundledTrace = (): string => join(packageRoot(), 'assets/traces/nasa-http-1995-07-per-minute.csv.gz')

/**
 * Replays a real request trace against the wall clock, aligned by time of week, so the embedded default serves
 * real traffic shapes (daily and weekly cycles) with no cluster and no Prometheus.
 */
export class ReplaySource implements MetricSource {
  readonly metricNames = [METRIC.desiredReplicas, METRIC.observedLoad] as const
  private readonly weekAlignedStartMs: number

  constructor(private readonly cfg: ReplaySourceConfig, private readonly trace: Trace, private readonly now: () => number = Date.now) {
    this.weekAlignedStartMs = trace.startMs
  }

  static fromConfig(cfg: ReplaySourceConfig, now?: () => number): ReplaySource {
    return new ReplaySource(cfg, readTrace(cfg.traceFile ?? bundledTrace()), now)
  }

  readiness(): { ready: boolean; reason: string } {
    return { ready: true, reason: 'trace loaded' }
  }

  /** Requests per second over the last complete step, and when that step ended. */
  observed(): { ratePerSecond: number; endMs: number } | undefined {
    const { stepMs, values } = this.trace
    const endMs = Math.floor(this.now() / stepMs) * stepMs
    const steps = Math.floor((endMs - stepMs - this.weekAlignedStartMs) / stepMs)
    const index = ((steps % values.length) + values.length) % values.length
    const count = values[index]
    if (count === undefined || Number.isNaN(count)) return undefined
    return { ratePerSecond: count / (stepMs / 1000), endMs }
  }

  query(namespace: string, metricName: string): QueryResult {
    if (!(this.metricNames as readonly string[]).includes(metricName)) return { state: 'unknown-metric' }
    if (namespace !== this.cfg.namespace) return { state: 'ok', items: [] }
    const obs = this.observed()
    if (obs === undefined) return { state: 'not-ready', reason: 'the trace has no data for this minute' }
    const labels = { [POLICY_LABEL]: this.cfg.policy, 'foresight.dev/basis': 'observed' }
    const windowSeconds = this.trace.stepMs / 1000
    const value = metricName === METRIC.observedLoad ? obs.ratePerSecond : this.replicasFor(obs.ratePerSecond)
    const item: MetricItem = { metricName, labels, value, timestamp: new Date(obs.endMs), windowSeconds }
    return { state: 'ok', items: [item] }
  }

  private replicasFor(ratePerSecond: number): number {
    const { capacityPerReplica, minReplicas, maxReplicas } = this.cfg
    return Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(ratePerSecond / capacityPerReplica)))
  }
}
