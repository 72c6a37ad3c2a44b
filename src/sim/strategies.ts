/**
 * What each autoscaling strategy feeds the simulated HPA at a sync. All of them read the same load series and
 * only the samples stamped at or before the sync time.
 */
import { pino, type Logger } from 'pino'
import { Engine } from '../engine/engine.js'
import type { HistoryReader } from '../ports.js'
import type { PointForecaster } from '../forecast/baselines.js'
import type { LoadedModel } from '../model/runtime.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { ExternalAverageValueMetric } from './hpa.js'
import { lastSampleIndex, type LoadSeries } from './load.js'

export interface Strategy {
  readonly name: string
  /** The External metrics the HPA reads at `nowMs`; undefined when the metrics API would answer an error. Called in time order. */
  metrics(nowMs: number): Promise<ExternalAverageValueMetric[] | undefined>
}

/**
 * A plain HPA on the observed load: AverageValue = capacity per replica, so it asks for ceil(load / capacity).
 * The metric is a rate over the last `rateWindowSeconds`, as a Prometheus adapter serves it.
 */
export class ReactiveStrategy implements Strategy {
  constructor(readonly name: string, private readonly load: LoadSeries, private readonly capacityPerReplica: number, private readonly rateWindowSeconds = 60) {}

  async metrics(nowMs: number): Promise<ExternalAverageValueMetric[] | undefined> {
    const last = lastSampleIndex(this.load, nowMs)
    const steps = Math.max(1, Math.round((this.rateWindowSeconds * 1000) / this.load.stepMs))
    let sum = 0
    let n = 0
    for (let i = Math.max(0, last - steps + 1); i <= last; i++) {
      const v = this.load.values[i] ?? NaN
      if (Number.isFinite(v)) {
        sum += v
        n++
      }
    }
    return n === 0 ? undefined : [{ value: sum / n, averageValue: this.capacityPerReplica }]
  }
}

/**
 * A predictive baseline as Crane's EHPA serves it: the largest forecast load over [now, now + horizon], never
 * below the present, with AverageValue = capacity per replica. The forecaster is fed every sample once, from the
 * first, so it has all the history before the simulated period.
 */
export class ForecasterStrategy implements Strategy {
  private fed = 0
  private lastValid = NaN
  private value = NaN

  constructor(readonly name: string, private readonly load: LoadSeries, private readonly forecaster: PointForecaster, private readonly horizonSteps: number, private readonly capacityPerReplica: number) {}

  async metrics(nowMs: number): Promise<ExternalAverageValueMetric[] | undefined> {
    const last = Math.min(lastSampleIndex(this.load, nowMs), this.load.values.length - 1)
    if (last >= this.fed) {
      for (; this.fed <= last; this.fed++) {
        const v = this.load.values[this.fed] ?? NaN
        this.forecaster.observe(v)
        if (Number.isFinite(v)) this.lastValid = v
      }
      let peak = this.lastValid
      for (const f of this.forecaster.forecast(this.horizonSteps)) if (f > peak) peak = f
      this.value = peak
    }
    return Number.isFinite(this.value) ? [{ value: Math.max(0, this.value), averageValue: this.capacityPerReplica }] : undefined
  }
}

/**
 * Runs the real engine, against a simulated clock, on a refresh cadence for one or more policies (one batched
 * inference per refresh, as in the adapter).
 */
export class EngineDriver {
  readonly engine: Engine
  refreshes = 0
  private nowMs = 0
  private lastRefreshMs = -Infinity
  private readonly refreshEveryMs: number
  private readonly policies: readonly Policy[]

  constructor(opts: { model: LoadedModel; history: HistoryReader; policies: readonly Policy[]; refreshEverySeconds?: number; log?: Logger }) {
    this.policies = opts.policies
    this.refreshEveryMs = (opts.refreshEverySeconds ?? 60) * 1000
    this.engine = new Engine({ model: opts.model, history: opts.history, log: opts.log ?? pino({ level: 'silent' }), now: () => this.nowMs })
  }

  async at(nowMs: number): Promise<Engine> {
    if (nowMs - this.lastRefreshMs >= this.refreshEveryMs) {
      this.nowMs = nowMs
      await this.engine.refresh(this.policies)
      this.lastRefreshMs = nowMs
      this.refreshes++
    }
    return this.engine
  }
}

/** Foresight as deployed: the HPA reads foresight_desired_replicas with AverageValue 1. */
export class ForesightStrategy implements Strategy {
  private readonly key: string

  constructor(readonly name: string, private readonly driver: EngineDriver, policy: Policy) {
    this.key = policyKey(policy)
  }

  async metrics(nowMs: number): Promise<ExternalAverageValueMetric[] | undefined> {
    const engine = await this.driver.at(nowMs)
    const desired = engine.result(this.key)?.desiredReplicas
    // No value means the API answers 503 and the HPA holds.
    return desired === undefined ? undefined : [{ value: desired, averageValue: 1 }]
  }
}
