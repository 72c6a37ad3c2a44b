import t from 'tap'
import { MAX_TARGET_UTILIZATION, policySpecSchema } from '../policy/schema.js'
import { frontier, frontierTable, SWEEP, sweepCurve, underAtCost, worstRatioBetween, type FrontierPoint } from './frontier.js'
import type { StrategyRun } from './simulate.js'

const run = (name: string, underProvisionedMinutes: number, replicaMinutes: number, scalingEvents = 10): StrategyRun =>
  ({ name, metrics: { underProvisionedMinutes, replicaMinutes, scalingEvents }, timeline: {} }) as unknown as StrategyRun

const reactiveRuns = [run('reactive', 1000, 100), run('reactive@90%', 600, 120), run('reactive@80%', 300, 140), run('reactive@70%', 100, 170), run('reactive(2m)', 5000, 90), run('holt-winters', 0, 130)]

t.test('a sweep: the bare name at its own utilisation and every name@N%, cheapest first, other strategies left out', async (t) => {
  const c = sweepCurve([...reactiveRuns, run('foresight', 1, 1)], 'reactive', 1)
  t.same(c.map((p) => [p.name, p.utilization]), [['reactive', 1], ['reactive@90%', 0.9], ['reactive@80%', 0.8], ['reactive@70%', 0.7]])
  const f = sweepCurve([run('foresight', 50, 130), run('foresight@90%', 50, 130), run('foresight@100%', 90, 110), run('foresight@87.5%', 40, 140), run('foresight:tuned', 1, 1)], 'foresight', 0.9)
  t.same(f.map((p) => [p.name, p.utilization]), [['foresight@100%', 1], ['foresight', 0.9], ['foresight@87.5%', 0.875]], 'the defaults run stands for its own value once')
})

t.test('the sweep names above 100 % parse like the others', async (t) => {
  const f = sweepCurve([run('foresight', 50, 130), run('foresight@150%', 900, 100), run('foresight@125%', 400, 110)], 'foresight', 1)
  t.same(f.map((p) => [p.name, p.utilization]), [['foresight@150%', 1.5], ['foresight@125%', 1.25], ['foresight', 1]])
})

t.test('Foresight\'s sweep reaches the schema\'s bound, so the cheap end of its curve is what a policy may ask for', async (t) => {
  t.equal(Math.max(...SWEEP.foresight), MAX_TARGET_UTILIZATION)
  t.ok(SWEEP.foresight.some((u) => u > 1), 'it is swept above 1')
  const spec = { scaleTargetRef: { name: 'web' }, load: { query: 'up', capacityPerReplica: 1 }, maxReplicas: 5 }
  for (const u of SWEEP.foresight) t.ok(policySpecSchema.safeParse({ ...spec, targetUtilization: u }).success, `${u} is a valid spec.targetUtilization`)
})

const curve: FrontierPoint[] = [
  { name: 'a', utilization: 1, replicaMinutes: 100, underProvisionedMinutes: 1000, scalingEvents: 0 },
  { name: 'b', utilization: 0.9, replicaMinutes: 120, underProvisionedMinutes: 600, scalingEvents: 0 },
  { name: 'c', utilization: 0.8, replicaMinutes: 140, underProvisionedMinutes: 300, scalingEvents: 0 },
]
const cases: Array<[string, number, number | undefined]> = [
  ['on the first point', 100, 1000],
  ['halfway between two points: linear', 110, 800],
  ['a quarter of the way', 125, 525],
  ['on the last point', 140, 300],
  ['cheaper than the curve: not extrapolated', 99, undefined],
  ['dearer than the curve: not extrapolated', 141, undefined],
]
for (const [name, cost, want] of cases) t.test(`under-provisioning at a cost: ${name}`, async (t) => t.equal(underAtCost(curve, cost), want))
t.test('an empty curve has no value anywhere', async (t) => t.equal(underAtCost([], 100), undefined))

t.test('the frontier: each side against the other at equal replica-minutes', async (t) => {
  const foresight = [run('foresight', 150, 130), run('foresight@100%', 400, 110), run('foresight@80%', 60, 160), run('foresight@70%', 10, 200)]
  const f = frontier([...reactiveRuns, ...foresight], { reactive: 'reactive', foresight: 'foresight', foresightUtilization: 0.9 })
  // foresight@100% at 110: reactive is 800 there; foresight (0.9) at 130: reactive 450.
  const r3 = (x: number | undefined): number | undefined => (x === undefined ? undefined : Math.round(x * 1000) / 1000)
  // foresight@80% at 160: reactive between 140 (300) and 170 (100) = 166.667.
  t.same(f.atForesight.map((p) => [p.name, r3(p.otherUnderProvisionedMinutes), r3(p.ratio)]), [['foresight@100%', 800, 0.5], ['foresight', 450, 0.333], ['foresight@80%', 166.667, 0.36], ['foresight@70%', undefined, undefined]])
  // reactive at 120: foresight between 110 (400) and 130 (150) = 275 -> 275/600; at 100 foresight has no point.
  t.equal(f.atReactive[0]?.ratio, undefined, 'reactive at 100 % is cheaper than every foresight setting')
  t.equal(f.atReactive[1]?.otherUnderProvisionedMinutes, 275)
  t.equal(f.atReactive[1]?.ratio, 275 / 600)
  const band = worstRatioBetween(f, 0.9, 0.7)
  t.ok(band.covered, 'foresight spans 120..170')
  t.equal(band.ratio, Math.max(275 / 600, f.atReactive[2]?.ratio ?? 0, f.atReactive[3]?.ratio ?? 0, 150 / 450, f.atForesight[2]?.ratio ?? 0), 'the worst of the band points and the foresight points inside it')
  const text = frontierTable(f)
  t.match(text, /^reactive\s+90%\s+120\s+600\.0\s+10\s+275\.0\s+0\.458$/m)
  t.match(text, /NOT met|MET/)
})

t.test('a foresight sweep that does not reach the band cannot claim the target', async (t) => {
  const f = frontier([...reactiveRuns, run('foresight', 150, 135), run('foresight@80%', 60, 160)], { reactive: 'reactive', foresight: 'foresight', foresightUtilization: 0.9 })
  const band = worstRatioBetween(f, 0.9, 0.7)
  t.notOk(band.covered)
  t.match(frontierTable(f), /does not span reactive at 90 % \.\. 70 %.*cannot be claimed/)
})

t.test('the band is covered where reactive had no shortfall at all: no ratio there, but no claim of a gap either', async (t) => {
  const f = frontier([run('reactive', 80, 100), run('reactive@90%', 2, 120), run('reactive@80%', 0, 140), run('reactive@70%', 0, 170), run('foresight', 50, 110), run('foresight@80%', 0, 180)], { reactive: 'reactive', foresight: 'foresight', foresightUtilization: 1 })
  const band = worstRatioBetween(f, 0.9, 0.7)
  t.ok(band.covered)
  t.equal(f.atReactive[2]?.ratio, undefined, 'reactive 0 minutes: no ratio')
  t.ok((band.ratio ?? 0) > 1, 'the worst ratio is where reactive had 2 minutes')
  t.match(frontierTable(f), /NOT met/)
})
