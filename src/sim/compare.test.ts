import t from 'tap'
import type { LoadedModel } from '../model/runtime.js'
import { policySchema, type Policy } from '../policy/schema.js'
import { bestBaselineAtCost, bestBaselineLine, compareStrategies, ComparisonError, reactiveAtEqualCost } from './compare.js'
import { fromRows } from './load.js'
import type { StrategyRun } from './simulate.js'

// The equal-cost comparison: a reactive HPA given enough headroom to spend what the named strategy spends.
const run = (name: string, underProvisionedMinutes: number, replicaMinutes: number): StrategyRun =>
  ({ name, metrics: { underProvisionedMinutes, replicaMinutes }, timeline: {} }) as unknown as StrategyRun

const curve = [run('reactive', 1000, 100), run('reactive@90%', 600, 120), run('reactive@80%', 200, 150), run('reactive(2m)', 5000, 90), run('holt-winters', 0, 130)]

const cases: Array<[string, StrategyRun, number | undefined]> = [
  ['between two headroom runs: linear in replica-minutes', run('foresight', 50, 135), 400],
  ['exactly on a run', run('foresight', 50, 120), 600],
  ['cheaper than plain reactive: outside the curve', run('foresight', 50, 95), undefined],
  ['dearer than the most headroom: outside the curve', run('foresight', 50, 200), undefined],
]
for (const [name, foresight, want] of cases) {
  t.test(name, async (t) => {
    t.equal(reactiveAtEqualCost([...curve, foresight], 'foresight'), want)
  })
}

t.test('other strategies (a longer rate window, the baselines) are not on the headroom curve', async (t) => {
  t.equal(reactiveAtEqualCost([run('reactive', 1000, 100), run('reactive(2m)', 0, 200), run('foresight', 1, 150)], 'foresight'), undefined)
  t.equal(reactiveAtEqualCost(curve, 'missing'), undefined)
})

t.test('best of all baselines: the fewest under-provisioned minutes among strategies that cost no more', async (t) => {
  const runs = [...curve, run('ses', 300, 140), run('foresight:tuned', 1, 100), run('foresight', 50, 135)]
  // holt-winters (0 min at 130) is cheaper than foresight (135): it is the best; ses costs more at 140.
  t.same(bestBaselineAtCost(runs, 'foresight'), { name: 'holt-winters', underProvisionedMinutes: 0, replicaMinutes: 130 })
  t.equal(bestBaselineAtCost([...curve, run('foresight', 50, 125)], 'foresight')?.name, 'reactive@90%', 'a foresight variant is never a baseline; costlier runs are left out')
  t.equal(bestBaselineAtCost([...curve, run('foresight', 50, 80)], 'foresight'), undefined, 'cheaper than every baseline')
  t.equal(bestBaselineAtCost([...curve, run('foresight@150%', 100, 110), run('foresight', 50, 125)], 'foresight')?.name, 'reactive@90%', 'the knob\'s sweep (here 150 %, cheaper than the defaults) is not a baseline either')
  t.match(bestBaselineLine([...curve, run('foresight', 50, 125)], 'foresight'), /foresight: under-provisioned 50 min \/ best of all baselines at no more replica-minutes \(reactive@90%, 600 min at 120 replica-min\) = 0\.083/)
  t.match(bestBaselineLine([...curve, run('foresight', 50, 80)], 'foresight'), /no best-of-all/)
})

t.test('the engine must read the series at its own step: a policy at another step is refused before anything runs', async (t) => {
  const policy = (stepSeconds: number): Policy => policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(x[1m]))', capacityPerReplica: 1 }, minReplicas: 1, maxReplicas: 10, stepSeconds },
  })
  const load = fromRows(new Float64Array(10).fill(1), 0, 300_000)
  // The check comes first: no model is needed to see the mismatch.
  const model = {} as LoadedModel
  await t.rejects(compareStrategies({ load, fromMs: 0, toMs: 3_000_000, policy: policy(60), model, startupDelaySeconds: 60 }), { name: 'ComparisonError', message: 'policy shop/web: spec.stepSeconds 60 differs from the load series\' step of 300 s; the engine must read the series at its own step' })
  await t.rejects(compareStrategies({ load, fromMs: 0, toMs: 3_000_000, policy: policy(300), variants: [policy(60)], model, startupDelaySeconds: 60 }), ComparisonError, 'a variant too')
})
