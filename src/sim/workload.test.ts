import t from 'tap'
import { readyReplicas, replicaCount, scaleWorkload, steadyWorkload } from './workload.js'

const cfg = { capacityPerReplica: 1, startupDelaySeconds: 60 }

t.test('new pods cost at once and serve after the start-up delay', async (t) => {
  const w = scaleWorkload(steadyWorkload(3), 5, 1000, cfg)
  t.equal(replicaCount(w), 5)
  t.equal(readyReplicas(w, 1000), 3, 'not ready when created')
  t.equal(readyReplicas(w, 60_999), 3, 'still starting just before the delay')
  t.equal(readyReplicas(w, 61_000), 5, 'ready after the delay')
})

t.test('scale-down removes capacity at once, starting pods first', async (t) => {
  const starting = scaleWorkload(steadyWorkload(3), 6, 0, cfg)
  const down = scaleWorkload(starting, 4, 10_000, cfg)
  t.equal(replicaCount(down), 4)
  t.equal(readyReplicas(down, 10_000), 3, 'the two removed pods were starting ones; all three ready pods stay')
  t.equal(readyReplicas(down, 60_000), 4)
  const further = scaleWorkload(down, 1, 10_000, cfg)
  t.equal(readyReplicas(further, 10_000), 1, 'then ready pods go, at once')
  t.equal(scaleWorkload(further, 1, 20_000, cfg), further, 'no change, same state')
})
