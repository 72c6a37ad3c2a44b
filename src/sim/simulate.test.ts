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
