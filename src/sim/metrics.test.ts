import t from 'tap'
import { scoreTicks, type Tick } from './metrics.js'

const tick = (i: number, demand: number, readyCapacity: number, replicas: number): Tick => ({ demand, readyCapacity, replicas, durationSeconds: 15, timeMs: i * 15_000 })

t.test('shortfall, cost and over-provisioning on hand-computed ticks', async (t) => {
  const r = scoreTicks([tick(0, 4, 5, 5), tick(1, 6, 5, 5), tick(2, 8, 5, 7), tick(3, 2, 7, 7)])
  t.equal(r.evaluatedMinutes, 1)
  t.equal(r.underProvisionedMinutes, 0.5, 'two 15 s ticks below demand')
  t.ok(Math.abs(r.unservedShare - (1 + 3) / 20) < 1e-12, '(1 + 3) of 20 units not served')
  t.equal(r.replicaMinutes, (5 + 5 + 7 + 7) / 4)
  t.ok(Math.abs(r.overProvisioningRatio - 22 / 20) < 1e-12, 'mean ready capacity 22/4 over mean demand 20/4')
  t.equal(r.scalingEvents, 1)
  t.equal(r.reversals, 0)
})

t.test('unknown demand is not scored but replica changes still count', async (t) => {
  const r = scoreTicks([tick(0, 4, 1, 1), tick(1, NaN, 1, 3), tick(2, 2, 3, 3)])
  t.equal(r.evaluatedMinutes, 0.5)
  t.equal(r.underProvisionedMinutes, 0.25)
  t.equal(r.replicaMinutes, (1 + 3) / 4)
  t.equal(r.scalingEvents, 1)
})

t.test('flapping: a reversal within the window counts, a late one does not', async (t) => {
  const replicas = [4, 6, 5, 5, 7]
  const ticks = replicas.map((n, i) => tick(i, 1, n, n))
  t.equal(scoreTicks(ticks).reversals, 2, 'up, down, up: two reversals')
  t.equal(scoreTicks(ticks).scalingEvents, 3)
  t.equal(scoreTicks(ticks, 10).reversals, 0, 'with a 10 s window nothing counts as a flap')
  const empty = scoreTicks([])
  t.equal(empty.underProvisionedMinutes, 0)
  t.ok(Number.isNaN(empty.overProvisioningRatio), 'no demand: the ratio is undefined')
})
