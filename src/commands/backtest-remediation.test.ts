import t from 'tap'
import { policySchema } from '../policy/schema.js'
import { ownerFromName, podsAt, RecordedSignals, replayRemediation } from './backtest-remediation.js'

const MIN = 60_000
const T0 = Date.parse('2026-01-05T00:00:00Z')

t.test('owner from the pod name: a Deployment pod\'s ReplicaSet, else the workload', async (t) => {
  t.equal(ownerFromName('web-7c9f8d6b5-x2k9p', 'web'), 'web-7c9f8d6b5')
  t.equal(ownerFromName('web-0', 'web'), 'web', 'StatefulSet pod')
  t.equal(ownerFromName('other-7c9f8d6b5-x2k9p', 'web'), 'web', 'not named after the workload')
  t.equal(ownerFromName('web-abcde', 'web'), 'web', 'no ReplicaSet part')
})

t.test('pods from the series: from the first sample to shortly after the last; old when there from the start', async (t) => {
  const life = new Map([['a', { firstMs: T0, lastMs: T0 + 60 * MIN }], ['b', { firstMs: T0 + 10 * MIN, lastMs: T0 + 20 * MIN }]])
  t.same(podsAt(life, T0 + 5 * MIN, T0, 'web').map((p) => p.name), ['a'])
  t.same(podsAt(life, T0 + 21 * MIN, T0, 'web').map((p) => p.name), ['a', 'b'], 'b still listed just after its last sample')
  t.same(podsAt(life, T0 + 30 * MIN, T0, 'web').map((p) => p.name), ['a'])
  const [a] = podsAt(life, T0 + 5 * MIN, T0, 'web')
  t.ok(a !== undefined && a.creationTimestamp.getTime() < T0, 'a pod there from the start is not taken as new')
  const b = podsAt(life, T0 + 15 * MIN, T0, 'web').find((p) => p.name === 'b')
  t.equal(b?.creationTimestamp.getTime(), T0 + 10 * MIN)
})

t.test('the replay: a pod failing alone is restarted once sustained; pods failing together are held back', async (t) => {
  const rec = new RecordedSignals()
  const n = 120
  const series = (f: (i: number) => number): Float64Array => Float64Array.from({ length: n }, (_, i) => f(i))
  rec.add('errorRatio', 'web-0', series(() => 0.01), T0, MIN)
  rec.add('errorRatio', 'web-1', series((i) => (i >= 80 && i < 100 ? 0.5 : 0.01)), T0, MIN)
  rec.add('errorRatio', 'web-2', series((i) => (i >= 80 && i < 100 ? 0.5 : 0.01)), T0, MIN)
  rec.add('errorRatio', 'web-3', series((i) => (i >= 30 && i < 60 ? 0.3 : 0.01)), T0, MIN)
  t.same(rec.at('errorRatio', T0 + 31 * MIN).get('web-3'), 0.3)
  const policy = policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { name: 'web' }, load: { query: 'x', capacityPerReplica: 1 }, maxReplicas: 10, podSignals: { errorRatioQuery: 'e' } },
  })
  const out = await replayRemediation(policy, rec, T0 + 5 * MIN, T0 + (n - 1) * MIN)
  t.equal(out.pods, 4)
  t.same([...new Set(out.restarts.map((r) => r.pod))], ['web-3'])
  const first = out.restarts[0]
  const sustainedMs = policy.spec.remediation.sustainedSeconds * 1000
  t.ok(first !== undefined && first.timeMs >= T0 + 30 * MIN + sustainedMs && first.timeMs <= T0 + 32 * MIN + sustainedMs, 'restarted once sustained (plus at most the minute the adapter needs to see it)')
  t.ok(out.restarts.length >= 1 && out.restarts.every((r, i) => i === 0 || r.timeMs - (out.restarts[i - 1]?.timeMs ?? 0) >= 900_000), 'again only after podCooldownSeconds, while it still fails')
  t.ok((out.heldBack.MostPodsFailing ?? 0) > 0, 'two of four failing together: held back')
  t.ok((out.heldBack.NotSustained ?? 0) > 0)
})

t.test('the replay reads podSignals.requestsQuery: a busy pod a few points above its siblings is restarted, a quiet one is not', async (t) => {
  const n = 90
  const series = (f: (i: number) => number): Float64Array => Float64Array.from({ length: n }, (_, i) => f(i))
  const recorded = (requests: number | undefined): RecordedSignals => {
    const rec = new RecordedSignals()
    for (const [k, pod] of ['web-0', 'web-1', 'web-2', 'web-3', 'web-4'].entries()) {
      rec.add('errorRatio', pod, series((i) => (pod === 'web-4' && i >= 30 ? 0.045 : 0.004 + 0.0005 * k)), T0, MIN)
      if (requests !== undefined) rec.add('requests', pod, series(() => requests), T0, MIN)
    }
    return rec
  }
  const policy = (requestsQuery?: string): ReturnType<typeof policySchema.parse> => policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { name: 'web' }, load: { query: 'x', capacityPerReplica: 1 }, maxReplicas: 10, podSignals: { errorRatioQuery: 'e', ...(requestsQuery !== undefined ? { requestsQuery } : {}) } },
  })
  const restarted = async (p: ReturnType<typeof policySchema.parse>, rec: RecordedSignals): Promise<string[]> =>
    [...new Set((await replayRemediation(p, rec, T0 + 5 * MIN, T0 + (n - 1) * MIN)).restarts.map((r) => r.pod))]
  t.same(await restarted(policy('r'), recorded(3000)), ['web-4'], '4 points over 3,000 requests each: restarted')
  t.same(await restarted(policy('r'), recorded(60)), [], 'the same ratios over 60 requests: noise can do that')
  t.same(await restarted(policy(), recorded(undefined)), [], 'without request counts: the fixed margin, over 4 points')
  t.same(await restarted(policy(), recorded(3000)), [], 'counts recorded but not declared by the policy are not read')
})
