/**
 * Replays a load series against several strategies in lockstep: at every HPA sync each strategy's metrics go
 * through its own simulated HPA, the replica count goes to its own workload, and the tick until the next sync is
 * scored against the demand. Deterministic for deterministic strategies.
 */
import { defaultHpaSpec, EMPTY_HPA_STATE, HPA_SYNC_PERIOD_SECONDS, hpaSync, type HpaSpec } from './hpa.js'
import { demandAt, type LoadSeries } from './load.js'
import { ProvisioningScore, type ProvisioningMetrics } from './metrics.js'
import type { Strategy } from './strategies.js'
import { readyReplicas, replicaCount, scaleWorkload, steadyWorkload, type WorkloadConfig } from './workload.js'

interface SimulationOptions {
  load: LoadSeries
  /** Simulated period [fromMs, toMs); the load before fromMs is history the strategies may use. */
  fromMs: number
  toMs: number
  strategies: readonly Strategy[]
  workload: WorkloadConfig
  minReplicas: number
  maxReplicas: number
  /** Per strategy name; the API server's defaults otherwise. */
  hpa?: (strategy: string) => HpaSpec
  syncPeriodSeconds?: number
  onProgress?: (doneMs: number, totalMs: number) => void
}

/** Per sync: what the chart needs. */
export interface Timeline {
  timesMs: Float64Array
  demand: Float64Array
  readyCapacity: Float64Array
  replicas: Float64Array
}

export interface StrategyRun {
  name: string
  metrics: ProvisioningMetrics
  timeline: Timeline
}

export async function simulate(o: SimulationOptions): Promise<StrategyRun[]> {
  const syncMs = (o.syncPeriodSeconds ?? HPA_SYNC_PERIOD_SECONDS) * 1000
  const ticks = Math.max(0, Math.floor((o.toMs - o.fromMs) / syncMs))
  const cap = o.workload.capacityPerReplica
  // Every strategy starts from the same steady state: what the first known demand needs, all pods ready.
  let first = NaN
  for (let i = 0; i < ticks && !Number.isFinite(first); i++) first = demandAt(o.load, o.fromMs + i * syncMs)
  const start = Math.min(o.maxReplicas, Math.max(o.minReplicas, Number.isFinite(first) ? Math.ceil(first / cap - 1e-9) : o.minReplicas))
  const runs = o.strategies.map((s) => ({
    strategy: s,
    spec: o.hpa?.(s.name) ?? defaultHpaSpec(o.minReplicas, o.maxReplicas),
    hpa: EMPTY_HPA_STATE,
    workload: steadyWorkload(start),
    score: new ProvisioningScore(),
    timeline: { timesMs: new Float64Array(ticks), demand: new Float64Array(ticks), readyCapacity: new Float64Array(ticks), replicas: new Float64Array(ticks) },
  }))
  const progressEvery = Math.max(1, Math.floor(ticks / 200))
  for (let k = 0; k < ticks; k++) {
    const nowMs = o.fromMs + k * syncMs
    const demand = demandAt(o.load, nowMs)
    for (const r of runs) {
      const metrics = await r.strategy.metrics(nowMs)
      const d = hpaSync(r.spec, r.hpa, nowMs, replicaCount(r.workload), metrics)
      r.hpa = d.state
      r.workload = scaleWorkload(r.workload, d.desiredReplicas, nowMs, o.workload)
      const replicas = replicaCount(r.workload)
      const readyCapacity = readyReplicas(r.workload, nowMs) * cap
      r.score.add({ demand, readyCapacity, replicas, durationSeconds: syncMs / 1000, timeMs: nowMs })
      r.timeline.timesMs[k] = nowMs
      r.timeline.demand[k] = demand
      r.timeline.readyCapacity[k] = readyCapacity
      r.timeline.replicas[k] = replicas
    }
    if (o.onProgress !== undefined && (k % progressEvery === 0 || k === ticks - 1)) o.onProgress((k + 1) * syncMs, ticks * syncMs)
  }
  return runs.map((r) => ({ name: r.strategy.name, metrics: r.score.result(), timeline: r.timeline }))
}
