/**
 * One source's series pooled into one set of runs for bench:autoscale --source: each series is simulated with its
 * own capacity, so minutes and events add up across series (sums, not means: a long series weighs as much as its
 * minutes). The ratios (unserved share, over-provisioning) are recomputed from the timelines' 15 s syncs, with
 * each series' load in replicas (divided by its capacity per replica): the series' units differ (CPU %, bytes,
 * requests), and a sum in their own units would be one series' share.
 */
import type { ProvisioningMetrics } from '../../src/sim/metrics.js'
import type { StrategyRun } from '../../src/sim/simulate.js'

/** The strategies every series ran, in the first series' order, with summed metrics; timelines are left empty. */
export function poolRuns(perSeries: ReadonlyArray<{ runs: readonly StrategyRun[]; capacityPerReplica: number }>): StrategyRun[] {
  const first = perSeries[0]?.runs ?? []
  const names = first.map((r) => r.name).filter((name) => perSeries.every((s) => s.runs.some((r) => r.name === name)))
  return names.map((name) => {
    const runs = perSeries.flatMap((s) => s.runs.filter((r) => r.name === name).map((run) => ({ run, cap: s.capacityPerReplica })))
    let demand = 0
    let capacity = 0
    let unserved = 0
    for (const { run, cap } of runs) {
      const tl = run.timeline
      for (let k = 0; k < tl.demand.length; k++) {
        const d = (tl.demand[k] ?? NaN) / cap
        if (!Number.isFinite(d)) continue
        const c = (tl.readyCapacity[k] ?? 0) / cap
        demand += d
        capacity += c
        if (d > c) unserved += d - c
      }
    }
    const sum = (f: (m: ProvisioningMetrics) => number): number => runs.reduce((a, r) => a + f(r.run.metrics), 0)
    const metrics: ProvisioningMetrics = {
      underProvisionedMinutes: sum((m) => m.underProvisionedMinutes),
      unservedShare: demand > 0 ? unserved / demand : 0,
      replicaMinutes: sum((m) => m.replicaMinutes),
      overProvisioningRatio: demand > 0 ? capacity / demand : NaN,
      scalingEvents: sum((m) => m.scalingEvents),
      reversals: sum((m) => m.reversals),
      evaluatedMinutes: sum((m) => m.evaluatedMinutes),
    }
    const empty = new Float64Array(0)
    return { name, metrics, timeline: { timesMs: empty, demand: empty, readyCapacity: empty, replicas: empty } }
  })
}
