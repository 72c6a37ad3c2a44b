import t from 'tap'
import type { ExternalAverageValueMetric } from './hpa.js'
import { demandAt, fromRows } from './load.js'
import { simulate } from './simulate.js'
import { ReactiveStrategy, type Strategy } from './strategies.js'

// Demand 1 req/s for ten minutes, then 3; one replica serves 1 req/s; pods are ready a minute after creation.
const rows = Float64Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : 3))
const load = fromRows(rows, 0, 60_000)
const workload = { capacityPerReplica: 1, startupDelaySeconds: 60 }

/** Knows the demand `leadSeconds` ahead: what perfect prediction would serve. */
class Oracle implements Strategy {
  readonly name = 'oracle'
  constructor(private readonly leadSeconds: number) {}
  async metrics(nowMs: number): Promise<ExternalAverageValueMetric[]> {
    const ahead = Math.max(demandAt(load, nowMs), demandAt(load, nowMs + this.leadSeconds * 1000))
    return [{ value: Number.isFinite(ahead) ? ahead : 0, averageValue: 1 }]
  }
}

t.test('reactive pays the metric lag plus the start-up delay; foresight of the delay pays nothing', async (t) => {
  const runs = await simulate({ load, fromMs: 0, toMs: 20 * 60_000, strategies: [new ReactiveStrategy('reactive', load, 1, 60), new Oracle(60)], workload, minReplicas: 1, maxReplicas: 10 })
  const [reactive, oracle] = runs
  // At 10:00 demand becomes 3 but the newest complete sample is still 1; at 11:00 the HPA sees 3 and creates two
  // pods, ready at 12:00: eight 15 s ticks short by 2 req/s.
  t.equal(reactive?.metrics.underProvisionedMinutes, 2)
  t.ok(Math.abs((reactive?.metrics.unservedShare ?? 0) - (2 * 2) / (10 * 1 + 10 * 3)) < 1e-12, '4 of 40 req/s-minutes unserved')
  t.equal(reactive?.metrics.replicaMinutes, 11 * 1 + 9 * 3, 'one pod until 11:00, then three')
  t.equal(reactive?.metrics.scalingEvents, 1)
  t.equal(oracle?.metrics.underProvisionedMinutes, 0, 'pods created a minute ahead are ready in time')
  t.equal(reactive?.timeline.replicas.length, 80, 'one timeline point per 15 s sync')
  t.equal(reactive?.timeline.readyCapacity[4 * 11], 1, 'at 11:00 the new pods are not ready yet')
  t.equal(reactive?.timeline.readyCapacity[4 * 12], 3)
})

t.test('the same inputs give the same run', async (t) => {
  const a = await simulate({ load, fromMs: 0, toMs: 20 * 60_000, strategies: [new ReactiveStrategy('r', load, 0.7, 120)], workload, minReplicas: 1, maxReplicas: 10 })
  const b = await simulate({ load, fromMs: 0, toMs: 20 * 60_000, strategies: [new ReactiveStrategy('r', load, 0.7, 120)], workload, minReplicas: 1, maxReplicas: 10 })
  t.same(a[0]?.metrics, b[0]?.metrics)
  let calls = 0
  await simulate({ load, fromMs: 0, toMs: 20 * 60_000, strategies: [], workload, minReplicas: 1, maxReplicas: 10, onProgress: () => calls++ })
  t.ok(calls > 0, 'progress is reported')
})

t.test('a 5-minute series: every sync is weighted by its 15 s, so a short step counts its 5 minutes, not one', async (t) => {
  // Demand 1 for an hour, then one 5-minute step at 3, then 1 again; a sample describes the step that ends at it.
  const rows5 = Float64Array.from({ length: 24 }, (_, i) => (i === 12 ? 3 : 1))
  const load5 = fromRows(rows5, 0, 300_000)
  const step = { capacityPerReplica: 1, startupDelaySeconds: 0 }
  const [r5] = await simulate({ load: load5, fromMs: 0, toMs: 24 * 300_000, strategies: [new ReactiveStrategy('reactive', load5, 1, 300)], workload: step, minReplicas: 1, maxReplicas: 10 })
  // Through the whole step at 3 the newest complete sample is still 1: short for 5 minutes; then the HPA sees 3 at
  // once (start-up 0) and holds 3 pods for the down window.
  t.equal(r5?.metrics.underProvisionedMinutes, 5)
  t.equal(r5?.metrics.evaluatedMinutes, 24 * 5, 'two hours of 5-minute rows are 120 scored minutes')
  t.equal(r5?.timeline.replicas.length, 24 * 20, 'still one point per 15 s HPA sync')
  // The same shape per minute is short for one minute: the minutes follow the step, not the row count.
  const rows1 = Float64Array.from({ length: 24 }, (_, i) => (i === 12 ? 3 : 1))
  const load1 = fromRows(rows1, 0, 60_000)
  const [r1] = await simulate({ load: load1, fromMs: 0, toMs: 24 * 60_000, strategies: [new ReactiveStrategy('reactive', load1, 1, 60)], workload: step, minReplicas: 1, maxReplicas: 10 })
  t.equal(r1?.metrics.underProvisionedMinutes, 1)
})
