import t from 'tap'
import type { StrategyRun } from '../../src/sim/simulate.js'
import { poolRuns } from './pool-runs.js'

const run = (name: string, under: number, replicaMinutes: number, events: number, demand: number[], ready: number[]): StrategyRun => ({
  name,
  metrics: { underProvisionedMinutes: under, unservedShare: NaN, replicaMinutes, overProvisioningRatio: NaN, scalingEvents: events, reversals: 1, evaluatedMinutes: demand.length / 4 },
  timeline: { timesMs: new Float64Array(demand.length), demand: Float64Array.from(demand), readyCapacity: Float64Array.from(ready), replicas: new Float64Array(demand.length) },
})

t.test('minutes and events add up across series; ratios come from the pooled syncs', async (t) => {
  const a = [run('reactive', 10, 100, 3, [2, 2, NaN, 4], [1, 2, 9, 4]), run('foresight', 1, 120, 2, [2, 2, NaN, 4], [2, 2, 9, 4]), run('only-in-a', 0, 1, 0, [1], [1])]
  // b's load is in units of which one replica serves 2: in replicas its demand is 3, 1.
  const b = [run('foresight', 4, 80, 5, [6, 2], [4, 4]), run('reactive', 20, 50, 7, [6, 2], [6, 0])]
  const pooled = poolRuns([{ runs: a, capacityPerReplica: 1 }, { runs: b, capacityPerReplica: 2 }])
  t.same(pooled.map((r) => r.name), ['reactive', 'foresight'], 'only strategies every series ran, in the first series\' order')
  const [reactive, foresight] = pooled
  t.same([reactive?.metrics.underProvisionedMinutes, reactive?.metrics.replicaMinutes, reactive?.metrics.scalingEvents, reactive?.metrics.reversals], [30, 150, 10, 2])
  t.same([foresight?.metrics.underProvisionedMinutes, foresight?.metrics.replicaMinutes, foresight?.metrics.scalingEvents], [5, 200, 7])
  t.equal(reactive?.metrics.evaluatedMinutes, 1.5, 'four syncs of a and two of b, NaN included as the series counted it')
  // In replicas: demand 2+2+4 (a; the NaN sync is not scored) + 3+1 (b) = 12. reactive is short (2-1) in a and
  // (1-0) in b: 2 of 12; foresight (3-2) in b: 1 of 12. Summed in their own units b would weigh twice as much.
  t.equal(reactive?.metrics.unservedShare, 2 / 12)
  t.equal(foresight?.metrics.unservedShare, 1 / 12)
  t.equal(reactive?.metrics.overProvisioningRatio, (1 + 2 + 4 + 3 + 0) / 12)
  t.equal(reactive?.timeline.demand.length, 0, 'no pooled timeline: there is no one time axis')
  t.same(poolRuns([]), [])
})
