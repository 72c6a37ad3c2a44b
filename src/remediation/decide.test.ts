import t from 'tap'
import { remediationSchema, type PolicyStatus } from '../policy/schema.js'
import { decide, type DecideInput, type Decision, type PodInfo, type ScoreClass, type ScoreObservation } from './decide.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')
const ago = (s: number): number => NOW - s * 1000
const iso = (s: number): string => new Date(ago(s)).toISOString()

function pod(name: string, extra: Partial<PodInfo> = {}): PodInfo {
  return { name, creationTimestamp: new Date(ago(3600)), ready: true, phase: 'Running', owner: 'web-abc', ...extra }
}

/** Observations every 15 s over the last `forSeconds`, plus one calm point before them. */
function outlier(forSeconds: number, score = 0.95, cls: ScoreClass = 'error'): ScoreObservation[] {
  const obs: ScoreObservation[] = [{ timeMs: ago(forSeconds + 15), score: 0.1, class: cls }]
  for (let s = forSeconds; s >= 0; s -= 15) obs.push({ timeMs: ago(s), score, class: cls })
  return obs
}
/** outlier(forSeconds), with the observations from `fromSecondsAgo` down to `toSecondsAgo` under threshold. */
function withDip(forSeconds: number, fromSecondsAgo: number, toSecondsAgo: number): ScoreObservation[] {
  return outlier(forSeconds).map((o) => (o.timeMs >= ago(fromSecondsAgo) && o.timeMs <= ago(toSecondsAgo) ? { ...o, score: 0.6 } : o))
}
const calm: ScoreObservation[] = [{ timeMs: ago(30), score: 0.1, class: 'error' }, { timeMs: ago(0), score: 0.2, class: 'error' }]

const five = ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => pod(n))
/** A pod whose graceful delete (30 s) was asked for `requestedAgo` seconds ago, stamped as the apiserver stamps it. */
const terminating = (name: string, requestedAgo: number): PodInfo => pod(name, { deletionTimestamp: new Date(ago(requestedAgo - 30)), deletionGracePeriodSeconds: 30 })
const spec = (over: Record<string, unknown> = {}): DecideInput['remediation'] => remediationSchema.parse({ mode: 'Enforce', sustainedSeconds: 120, ...over })

interface Row {
  name: string
  input: Partial<DecideInput> & { history: DecideInput['history'] }
  /** pod -> expected action:reason */
  want: Record<string, string>
  dryRun?: boolean
}

const base = (over: Partial<DecideInput> & { history: DecideInput['history'] }): DecideInput => ({
  remediation: spec(), pods: five, status: {}, nowMs: NOW, ...over,
})

const status = (entries: Array<[string, number]>, last?: PolicyStatus['lastRemediation']): PolicyStatus => ({
  restartsInWindow: entries.map(([p, s]) => ({ pod: p, time: iso(s) })),
  ...(last !== undefined ? { lastRemediation: last } : {}),
})

const rows: Row[] = [
  { name: 'a sustained error outlier is restarted', input: { history: new Map([['p1', outlier(180)], ['p2', calm]]) }, want: { p1: 'restart:SustainedOutlier', p2: 'skip:NotOutlier', p3: 'skip:NotOutlier' } },
  { name: 'latency is not remediable by default', input: { history: new Map([['p1', outlier(180, 0.9, 'latency')]]) }, want: { p1: 'skip:ClassNotRemediable' } },
  { name: 'latency is remediable when the policy lists it', input: { remediation: spec({ classes: ['error', 'latency'] }), history: new Map([['p1', outlier(180, 0.9, 'latency')]]) }, want: { p1: 'restart:SustainedOutlier' } },
  { name: 'errors are not remediable when the policy lists latency only', input: { remediation: spec({ classes: ['latency'] }), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'skip:ClassNotRemediable' } },
  {
    name: 'pods of two ReplicaSets: a rollout is in progress, nothing is restarted',
    input: { pods: [...five.slice(0, 3), ...five.slice(3).map((p) => ({ ...p, owner: 'web-new' }))], history: new Map([['p1', outlier(180)], ['p4', outlier(180)]]) },
    want: { p1: 'skip:RolloutInProgress', p4: 'skip:RolloutInProgress', p2: 'skip:NotOutlier' },
  },
  {
    name: 'an old ReplicaSet whose pods are all terminating is no rollout',
    input: { remediation: spec({ maxUnavailable: 2 }), pods: [...five, pod('p9', { owner: 'web-old', deletionTimestamp: new Date(ago(5)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier', p9: 'skip:Terminating' },
  },
  { name: 'saturation is not remediable', input: { history: new Map([['p1', outlier(180, 0.99, 'saturation')]]) }, want: { p1: 'skip:ClassNotRemediable' } },
  { name: 'load is not remediable', input: { history: new Map([['p1', outlier(180, 0.99, 'load')]]) }, want: { p1: 'skip:ClassNotRemediable' } },
  { name: 'an outlier for less than sustainedSeconds waits', input: { history: new Map([['p1', outlier(60)]]) }, want: { p1: 'skip:NotSustained' } },
  { name: 'a score just under the threshold is no outlier', input: { history: new Map([['p1', outlier(600, 0.79)]]) }, want: { p1: 'skip:NotOutlier' } },
  { name: 'a custom threshold', input: { threshold: 0.7, history: new Map([['p1', outlier(600, 0.75)]]) }, want: { p1: 'restart:SustainedOutlier' } },
  { name: 'a stale score says nothing', input: { history: new Map([['p1', outlier(600).map((o) => ({ ...o, timeMs: o.timeMs - 120_000 }))]]) }, want: { p1: 'skip:NotOutlier' } },
  {
    name: 'a gap in the observations restarts the streak',
    input: { history: new Map([['p1', [...outlier(600).map((o) => ({ ...o, timeMs: o.timeMs - 300_000 })), { timeMs: ago(60), score: 0.9, class: 'error' as const }, { timeMs: ago(0), score: 0.9, class: 'error' as const }]]]) },
    want: { p1: 'skip:NotSustained' },
  },
  {
    name: 'a streak that turned from saturation into errors counts from the change',
    input: { history: new Map([['p1', [...outlier(600, 0.9, 'saturation').filter((o) => o.timeMs < ago(60)), ...outlier(45, 0.9, 'error').slice(1)]]]) },
    want: { p1: 'skip:NotSustained' },
  },
  { name: 'no data at all', input: { history: new Map() }, want: { p1: 'skip:NotOutlier' } },
  {
    name: 'most pods anomalous together: restart nothing (3 of 5)',
    input: { history: new Map([['p1', outlier(600)], ['p2', outlier(600)], ['p3', outlier(600)]]) },
    want: { p1: 'skip:MostPodsFailing', p2: 'skip:MostPodsFailing', p3: 'skip:MostPodsFailing', p4: 'skip:NotOutlier' },
  },
  {
    name: 'exactly half counts as most (2 of 4)',
    input: { pods: five.slice(0, 4), history: new Map([['p1', outlier(600)], ['p2', outlier(600)]]) },
    want: { p1: 'skip:MostPodsFailing', p2: 'skip:MostPodsFailing' },
  },
  {
    name: 'saturated pods count towards most-pods-failing too',
    input: { history: new Map([['p1', outlier(600)], ['p2', outlier(600, 0.9, 'saturation')], ['p3', outlier(600, 0.9, 'latency')]]) },
    want: { p1: 'skip:MostPodsFailing', p2: 'skip:MostPodsFailing', p3: 'skip:MostPodsFailing' },
  },
  { name: 'a single-pod workload is never restarted', input: { pods: [pod('p1')], history: new Map([['p1', outlier(600)]]) }, want: { p1: 'skip:MostPodsFailing' } },
  {
    name: 'a young pod is left alone',
    input: { pods: [pod('p1', { creationTimestamp: new Date(ago(200)) }), ...five.slice(1)], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:TooYoung' },
  },
  { name: 'pod cooldown (StatefulSet pods keep their names)', input: { status: status([['p1', 600]]), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'skip:PodCooldown' } },
  { name: 'workload cooldown from the record', input: { status: status([['p9', 200]]), history: new Map([['p1', outlier(150)]]) }, want: { p1: 'skip:WorkloadCooldown' } },
  {
    name: 'an outlier since before the workload\'s last restart is not held by its cooldown',
    input: { status: status([['p9', 100]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier' },
  },
  {
    name: 'an earlier outlier still waits for the replacement to be ready (maxUnavailable)',
    input: { pods: [...five, pod('p6', { ready: false, creationTimestamp: new Date(ago(20)) })], status: status([['p9', 100]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'a pod restarted since its streak began (same name) waits for the workload cooldown',
    input: { remediation: spec({ podCooldownSeconds: 0 }), status: status([['p1', 100]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:WorkloadCooldown' },
  },
  { name: 'with dipToleranceMs one minute, a one-minute dip under threshold does not break the streak', input: { dipToleranceMs: 60_000, history: new Map([['p1', withDip(180, 120, 75)]]) }, want: { p1: 'restart:SustainedOutlier' } },
  { name: 'a longer dip starts the streak over', input: { dipToleranceMs: 60_000, history: new Map([['p1', withDip(180, 135, 75)]]) }, want: { p1: 'skip:NotSustained' } },
  { name: 'a streak never ends in a dip', input: { dipToleranceMs: 60_000, history: new Map([['p1', withDip(180, 15, 0)]]) }, want: { p1: 'skip:NotOutlier' } },
  { name: 'by default a dip breaks the streak', input: { history: new Map([['p1', withDip(180, 105, 90)]]) }, want: { p1: 'skip:NotSustained' } },
  { name: 'a dip does not bridge a gap in the observations', input: { dipToleranceMs: 60_000, history: new Map([['p1', withDip(180, 120, 75).filter((o) => o.timeMs > ago(105) || o.timeMs < ago(165))]]) }, want: { p1: 'skip:NotSustained' } },
  {
    name: 'workload cooldown from lastRemediation older than the hour window',
    input: { remediation: spec({ workloadCooldownSeconds: 7200 }), status: status([], { pod: 'p9', time: iso(5000), action: 'Evicted', reason: '' }), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:WorkloadCooldown' },
  },
  {
    name: 'a DryRun lastRemediation starts no cooldown',
    input: { status: status([], { pod: 'p9', time: iso(10), action: 'DryRun', reason: '' }), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier' },
  },
  {
    name: 'budget exhausted by the durable record',
    input: { status: status([['a', 3000], ['b', 2000], ['c', 1000]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:BudgetExhausted' },
  },
  {
    name: 'entries older than an hour give the budget back',
    input: { status: status([['a', 3700], ['b', 2000], ['c', 1000]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier' },
  },
  { name: 'budget 0 never restarts', input: { remediation: spec({ maxRestartsPerHour: 0 }), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'skip:BudgetExhausted' } },
  {
    name: 'maxUnavailable counts terminating pods',
    input: { pods: [...five, pod('p6', { deletionTimestamp: new Date(ago(5)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable', p6: 'skip:Terminating' },
  },
  {
    name: 'a terminating pod whose replacement is Ready counts no more (as a PDB counts)',
    input: { pods: [...five.slice(0, 4), terminating('p6', 60), pod('p7', { creationTimestamp: new Date(ago(55)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier', p6: 'skip:Terminating' },
  },
  {
    // The apiserver sets deletionTimestamp to the request's time plus the grace period: the replacement, created
    // a moment after the request, is older than that stamp and still stands in.
    name: 'a replacement created after the delete request, before the deletionTimestamp, stands in',
    input: { pods: [...five.slice(0, 4), terminating('p6', 20), pod('p7', { creationTimestamp: new Date(ago(19)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier', p6: 'skip:Terminating' },
  },
  {
    name: 'without the grace period, a replacement must come after the deletionTimestamp itself',
    input: { pods: [...five.slice(0, 4), pod('p6', { deletionTimestamp: new Date(ago(-10)) }), pod('p7', { creationTimestamp: new Date(ago(19)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'a pod standing in for a terminating pod is not restarted past maxUnavailable: the terminating pod would count again',
    input: { pods: [...five.slice(0, 4), terminating('p6', 1000), pod('p7', { creationTimestamp: new Date(ago(900)) })], history: new Map([['p7', outlier(180)]]) },
    want: { p7: 'skip:MaxUnavailable', p6: 'skip:Terminating' },
  },
  {
    name: 'replacements stand in oldest first, whatever the order of the pod list',
    input: { pods: [...five.slice(0, 3), terminating('p6', 100), terminating('p8', 90), pod('p7', { creationTimestamp: new Date(ago(85)) }), pod('p9', { creationTimestamp: new Date(ago(95)) }), pod('p4')], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier', p6: 'skip:Terminating', p8: 'skip:Terminating' },
  },
  {
    name: 'a terminating pod whose replacement is not Ready yet counts, and so does the replacement',
    input: { remediation: spec({ maxUnavailable: 2 }), pods: [...five.slice(0, 4), terminating('p6', 60), pod('p7', { ready: false, creationTimestamp: new Date(ago(55)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'a pod of unknown owner stands in for no terminating pod',
    input: { pods: [...five.slice(0, 4), terminating('p6', 60), pod('p7', { creationTimestamp: new Date(ago(55)), owner: undefined })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'one Ready replacement stands in for one terminating pod only',
    input: { pods: [...five.slice(0, 4), terminating('p6', 60), terminating('p8', 50), pod('p7', { creationTimestamp: new Date(ago(45)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'maxUnavailable counts not-ready replacements',
    input: { pods: [...five, pod('p6', { ready: false, creationTimestamp: new Date(ago(20)) })], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'maxUnavailable counts pending pods and evictions in flight',
    input: { inFlight: new Set(['p5']), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:MaxUnavailable' },
  },
  {
    name: 'an outlier that is itself unready costs no extra availability',
    input: { pods: [pod('p1', { ready: false }), ...five.slice(1)], history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier' },
  },
  {
    name: 'one restart per round under maxUnavailable 1: the worst outlier first',
    input: { pods: [...five, pod('p6'), pod('p7')], history: new Map([['p1', outlier(180, 0.85)], ['p2', outlier(180, 0.97)]]) },
    want: { p1: 'skip:MaxUnavailable', p2: 'restart:SustainedOutlier' },
  },
  {
    name: 'outliers together go in one round when maxUnavailable allows, the cooldown notwithstanding',
    input: { remediation: spec({ maxUnavailable: 2 }), pods: [...five, pod('p6'), pod('p7')], history: new Map([['p1', outlier(180, 0.85)], ['p2', outlier(180, 0.97)]]) },
    want: { p1: 'restart:SustainedOutlier', p2: 'restart:SustainedOutlier' },
  },
  {
    name: 'an alert, which does not say since when, waits for the workload cooldown that an earlier outlier need not',
    input: { remediation: spec({ maxUnavailable: 2 }), status: status([['p9', 100]]), alerted: new Set(['p3']), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'restart:SustainedOutlier', p3: 'skip:WorkloadCooldown' },
  },
  {
    name: 'more than one per round when the budgets allow it',
    input: { remediation: spec({ workloadCooldownSeconds: 0, maxUnavailable: 2 }), pods: [...five, pod('p6'), pod('p7')], history: new Map([['p1', outlier(180, 0.85)], ['p2', outlier(180, 0.97)], ['p3', outlier(180, 0.9)]]) },
    want: { p1: 'skip:MaxUnavailable', p2: 'restart:SustainedOutlier', p3: 'restart:SustainedOutlier' },
  },
  {
    name: 'the budget caps a round too',
    input: { remediation: spec({ workloadCooldownSeconds: 0, maxUnavailable: 5, maxRestartsPerHour: 2 }), status: status([['x', 100]]), pods: [...five, pod('p6'), pod('p7')], history: new Map([['p1', outlier(180, 0.85)], ['p2', outlier(180, 0.97)]]) },
    want: { p1: 'skip:BudgetExhausted', p2: 'restart:SustainedOutlier' },
  },
  {
    name: 'a refused eviction backs off',
    input: { blockedUntilMs: new Map([['p1', NOW + 30_000]]), history: new Map([['p1', outlier(180)]]) },
    want: { p1: 'skip:Blocked' },
  },
  { name: 'an expired backoff lets it try again', input: { blockedUntilMs: new Map([['p1', NOW - 1]]), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'restart:SustainedOutlier' } },
  { name: 'DryRun decides but marks it', input: { remediation: spec({ mode: 'DryRun' }), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'restart:SustainedOutlier' }, dryRun: true },
  { name: 'Off decides nothing', input: { remediation: spec({ mode: 'Off' }), history: new Map([['p1', outlier(180)]]) }, want: { p1: 'skip:ModeOff', p2: 'skip:ModeOff' } },
  { name: 'an alert is a sustained error outlier', input: { alerted: new Set(['p3']), history: new Map() }, want: { p3: 'restart:Alert', p1: 'skip:NotOutlier' } },
  { name: 'an alert still respects the budget', input: { alerted: new Set(['p3']), status: status([['a', 300], ['b', 1000], ['c', 1500]]), history: new Map() }, want: { p3: 'skip:BudgetExhausted' } },
  { name: 'an alert still respects pod age', input: { alerted: new Set(['p1']), pods: [pod('p1', { creationTimestamp: new Date(ago(10)) }), ...five.slice(1)], history: new Map() }, want: { p1: 'skip:TooYoung' } },
  {
    name: 'an alert does not override most-pods-failing',
    input: { alerted: new Set(['p3']), history: new Map([['p1', outlier(600)], ['p2', outlier(600)]]) },
    want: { p3: 'skip:MostPodsFailing', p1: 'skip:MostPodsFailing' },
  },
  { name: 'an alert on a terminating pod', input: { alerted: new Set(['p1']), pods: [pod('p1', { deletionTimestamp: new Date(ago(1)) }), ...five.slice(1)], history: new Map() }, want: { p1: 'skip:Terminating' } },
]

const code = (d: Decision | undefined): string => (d === undefined ? 'missing' : `${d.action}:${d.reason}`)

for (const row of rows) {
  t.test(row.name, async (t) => {
    const out = decide(base(row.input))
    const byPod = new Map(out.map((d) => [d.pod, d]))
    t.equal(out.length, (row.input.pods ?? five).length, 'one decision per pod')
    for (const [p, want] of Object.entries(row.want)) t.equal(code(byPod.get(p)), want, p)
    for (const d of out) {
      t.ok(d.message.length > 0, `${d.pod} has a message`)
      if (d.action === 'restart') t.equal(d.dryRun, row.dryRun === true, `${d.pod} dryRun`)
    }
  })
}

t.test('decisions do not depend on the order of the pod list', async (t) => {
  const history = new Map([['p1', outlier(180, 0.9)], ['p4', outlier(180, 0.9)]])
  const a = decide(base({ pods: [...five, pod('p6')], history }))
  const b = decide(base({ pods: [pod('p6'), ...five].reverse(), history }))
  t.same(a, b)
  t.equal(a.filter((d) => d.action === 'restart').length, 1)
  t.equal(a.find((d) => d.action === 'restart')?.pod, 'p1', 'ties go by name')
})
