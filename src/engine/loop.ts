import type { Logger } from 'pino'
import { Histogram, type Registry } from 'prom-client'
import { policyKey, type Policy } from '../policy/schema.js'
import type { PolicyResult, ServingEngine } from './types.js'
import { PolicyGauges } from './gauges.js'
import type { EngineMetricProvider } from './metric-provider.js'
import type { StatusWriter } from './status-writer.js'

interface RefreshLoopOptions {
  engine: ServingEngine
  source: EngineMetricProvider
  policies: () => readonly Policy[]
  intervalMs: number
  registry: Registry
  log: Logger
  /** Writes policy status in a cluster; absent with a policy file. */
  status?: StatusWriter
  /** Where each policy's series go after a refresh; by default gauges on `registry`. */
  gauges?: Pick<PolicyGauges, 'publish'>
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
  private readonly gauges: Pick<PolicyGauges, 'publish'>
  private readonly duration: Histogram<'phase'>

  constructor(private readonly o: RefreshLoopOptions) {
    const registers = [o.registry]
    this.gauges = o.gauges ?? new PolicyGauges(o.registry)
    this.duration = new Histogram({ name: 'foresight_refresh_duration_seconds', help: 'Wall time of one refresh by phase, turns given to API requests included', labelNames: ['phase'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30], registers })
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
      await this.gauges.publish(this.served(policies))
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

  /** What the API serves for each policy, looked up only as the gauges take it (the worker's host may not). */
  private *served(policies: readonly Policy[]): Generator<readonly [string, PolicyResult | undefined]> {
    for (const p of policies) {
      const key = policyKey(p)
      yield [key, this.o.engine.result(key)]
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.running
    await this.statusWrite
  }
}
