import type { Logger } from 'pino'
import { Gauge, Histogram, type Registry } from 'prom-client'
import { policyKey, type Policy } from '../policy/schema.js'
import type { Engine } from './engine.js'
import type { EngineMetricSource } from './metric-source.js'
import type { StatusWriter } from './status-writer.js'

export interface RefreshLoopOptions {
  engine: Engine
  source: EngineMetricSource
  policies: () => readonly Policy[]
  intervalMs: number
  registry: Registry
  log: Logger
  /** Writes policy status in a cluster; absent with a policy file. */
  status?: StatusWriter
}

/**
 * Runs a refresh every `intervalMs` (never two at once: a slow refresh delays the next one instead of piling up),
 * and exports each policy's results on /metrics so Prometheus and Grafana see what the HPA sees.
 */
export class RefreshLoop {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private statusWrite: Promise<unknown> | undefined
  private stopped = false
  private readonly desired: Gauge<'namespace' | 'policy' | 'reason'>
  private readonly forecast: Gauge<'namespace' | 'policy' | 'quantile' | 'horizon'>
  private readonly observed: Gauge<'namespace' | 'policy'>
  private readonly anomaly: Gauge<'namespace' | 'policy' | 'class'>
  private readonly podAnomaly: Gauge<'namespace' | 'policy' | 'pod' | 'class'>
  private readonly duration: Histogram<'phase'>

  constructor(private readonly o: RefreshLoopOptions) {
    const registers = [o.registry]
    this.desired = new Gauge({ name: 'foresight_desired_replicas', help: 'Replica count served to the HPA', labelNames: ['namespace', 'policy', 'reason'], registers })
    this.forecast = new Gauge({ name: 'foresight_forecast_load', help: 'Forecast load at the policy horizon', labelNames: ['namespace', 'policy', 'quantile', 'horizon'], registers })
    this.observed = new Gauge({ name: 'foresight_observed_load', help: 'Newest observed load', labelNames: ['namespace', 'policy'], registers })
    this.anomaly = new Gauge({ name: 'foresight_anomaly_score', help: 'Workload anomaly score in [0,1]', labelNames: ['namespace', 'policy', 'class'], registers })
    this.podAnomaly = new Gauge({ name: 'foresight_pod_anomaly_score', help: 'Pod anomaly score in [0,1] against its siblings', labelNames: ['namespace', 'policy', 'pod', 'class'], registers })
    this.duration = new Histogram({ name: 'foresight_refresh_duration_seconds', help: 'Time of one refresh by phase', labelNames: ['phase'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30], registers })
  }

  /** Runs the first refresh now and resolves when it is done (readiness waits for it). */
  async start(): Promise<void> {
    await this.tick()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => { void this.tick() }, this.o.intervalMs)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    const run = this.refreshOnce()
    this.running = run
    await run
    this.running = undefined
    this.schedule()
  }

  async refreshOnce(): Promise<void> {
    const policies = this.o.policies()
    const started = performance.now()
    try {
      // The engine handles failures per policy; a rejection here is a bug, and the engine's staleness backstop
      // keeps the old results from being served as fresh. /metrics and the status below still show that.
      const { timings } = await this.o.engine.refresh(policies)
      this.duration.observe({ phase: 'history' }, timings.historyMs / 1000)
      this.duration.observe({ phase: 'features' }, timings.featuresMs / 1000)
      this.duration.observe({ phase: 'inference' }, timings.inferenceMs / 1000)
      this.o.source.markRefreshed()
    } catch (err) {
      this.o.log.error({ err }, 'refresh failed')
    }
    try {
      this.export(policies)
      // Deleted policies: a re-created one with the same name and view must be written again.
      this.o.status?.forget(new Set(policies.map(policyKey)))
      // Status writes go on beside the next refreshes; the writer skips a round while one is in progress.
      this.statusWrite ??= (this.o.status?.write(this.o.engine.allResults(), Date.now()) ?? Promise.resolve()).finally(() => { this.statusWrite = undefined })
    } catch (err) {
      this.o.log.error({ err }, 'unable to publish the refresh results')
    } finally {
      this.duration.observe({ phase: 'total' }, (performance.now() - started) / 1000)
    }
  }

  /** Resolves when the status write in progress, if any, is done. */
  async statusWritten(): Promise<void> {
    await this.statusWrite
  }

  private export(policies: readonly Policy[]): void {
    for (const g of [this.desired, this.forecast, this.observed, this.anomaly, this.podAnomaly]) g.reset()
    for (const p of policies) {
      const r = this.o.engine.result(policyKey(p))
      if (r === undefined) continue
      const base = { namespace: r.namespace, policy: r.name }
      if (r.desiredReplicas !== undefined) this.desired.set({ ...base, reason: r.reason }, r.desiredReplicas)
      if (r.observedLoad !== undefined) this.observed.set(base, r.observedLoad)
      if (r.forecast !== undefined) {
        const horizon = `${r.forecast.horizonSeconds}s`
        this.forecast.set({ ...base, quantile: '0.1', horizon }, r.forecast.p10)
        this.forecast.set({ ...base, quantile: '0.5', horizon }, r.forecast.p50)
        this.forecast.set({ ...base, quantile: '0.9', horizon }, r.forecast.p90)
      }
      if (r.anomaly !== undefined) this.anomaly.set({ ...base, class: r.anomaly.class }, r.anomaly.score)
      for (const pod of r.pods ?? []) this.podAnomaly.set({ ...base, pod: pod.pod, class: pod.class }, pod.score)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.running
    await this.statusWrite
  }
}
