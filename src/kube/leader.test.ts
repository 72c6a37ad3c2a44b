import { KubeConfig } from '@kubernetes/client-node'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { startRemediationStandIn, type RemediationStandIn } from '../../test/helpers/remediation-standin.js'
import { LeaderElector, type LeaderElectorOptions } from './leader.js'

const log = pino({ level: 'silent' })

let standIn: RemediationStandIn
t.before(async () => { standIn = await startRemediationStandIn() })
t.teardown(() => standIn.close())

/** Polls with a ref'd timer: the elector's own timers are unref'd and would let the process exit mid-test. */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<number> {
  const started = Date.now()
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - started
}

interface Candidate { elector: LeaderElector; started: number; stopped: number }

// Short but in client-go's proportions: lease > renewDeadline > 1.2 x retryPeriod.
function candidate(t: Test, lease: string, identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const kc = new KubeConfig()
  kc.loadFromFile(standIn.kubeconfigFile)
  const c: Candidate = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0 }
  c.elector = new LeaderElector({
    kc, namespace: 'foresight', name: lease, identity, log,
    leaseDurationSeconds: 1, renewDeadlineMs: 600, retryPeriodMs: 100,
    onStartedLeading: () => { c.started++ },
    onStoppedLeading: () => { c.stopped++ },
    ...extra,
  })
  t.teardown(() => c.elector.stop({ release: false }))
  return c
}

const leaders = (cs: Candidate[]): number => cs.filter((c) => c.elector.isLeader()).length

t.test('rejects durations out of client-go\'s proportions', async (t) => {
  const base = { kc: new KubeConfig(), namespace: 'n', name: 'l', identity: 'a', log, onStartedLeading: () => undefined, onStoppedLeading: () => undefined }
  t.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 5, renewDeadlineMs: 5_000 }), /longer than renewDeadline/)
  t.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /1\.2 x retryPeriod/)
  t.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 1.5, renewDeadlineMs: 500, retryPeriodMs: 100 }), /whole number/)
  t.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/)
})

t.test('two candidates: exactly one leads, and it keeps renewing', async (t) => {
  const a = candidate(t, 'one-leads', 'a')
  const b = candidate(t, 'one-leads', 'b')
  a.elector.start()
  b.elector.start()
  await waitFor('a leader', () => leaders([a, b]) === 1)
  const first = standIn.leases.get('foresight/one-leads')
  // Several lease durations: the leader renews, the other never gets in.
  for (let i = 0; i < 25; i++) {
    await new Promise((r) => setTimeout(r, 100))
    t.equal(leaders([a, b]), 1, `one leader at ${i * 100} ms`)
  }
  t.equal(a.started + b.started, 1, 'leadership started once')
  t.equal(a.stopped + b.stopped, 0)
  const now = standIn.leases.get('foresight/one-leads')
  t.equal(now?.spec?.holderIdentity, first?.spec?.holderIdentity)
  t.not(now?.spec?.renewTime, first?.spec?.renewTime, 'renewTime moves')
  t.equal(now?.spec?.acquireTime, first?.spec?.acquireTime, 'acquireTime stays')
  t.match(now?.spec?.renewTime, /\.\d{6}Z$/, 'MicroTime on the wire')
  t.equal(now?.spec?.leaseDurationSeconds, 1)
})

t.test('a killed leader (no release) is replaced once its lease has expired', async (t) => {
  const a = candidate(t, 'killed', 'a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  const b = candidate(t, 'killed', 'b')
  b.elector.start()
  await new Promise((r) => setTimeout(r, 300))
  t.notOk(b.elector.isLeader(), 'b waits while a renews')
  await a.elector.stop({ release: false })
  t.equal(a.stopped, 1, 'the stopped leader is told')
  const tookMs = await waitFor('b takes over', () => b.elector.isLeader(), 5_000)
  t.ok(tookMs >= 700, `not before the lease ran out (${tookMs} ms)`)
  t.ok(tookMs < 2_500, `soon after it ran out (${tookMs} ms)`)
  const l = standIn.leases.get('foresight/killed')
  t.equal(l?.spec?.holderIdentity, 'b')
  t.equal(l?.spec?.leaseTransitions, 1)
})

t.test('a clean release hands over fast', async (t) => {
  const a = candidate(t, 'released', 'a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  const b = candidate(t, 'released', 'b')
  b.elector.start()
  await new Promise((r) => setTimeout(r, 200))
  await a.elector.stop()
  const l = standIn.leases.get('foresight/released')
  t.equal(l?.spec?.holderIdentity, '', 'holder cleared')
  t.equal(l?.spec?.leaseDurationSeconds, 1)
  const tookMs = await waitFor('b takes over', () => b.elector.isLeader(), 2_000)
  t.ok(tookMs < 600, `within a few retry periods (${tookMs} ms)`)
})

t.test('a leader that cannot renew steps down by its renew deadline, before the lease could pass on', async (t) => {
  const a = candidate(t, 'outage', 'a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  standIn.leaseDown = true
  t.teardown(() => { standIn.leaseDown = false })
  const tookMs = await waitFor('a steps down', () => !a.elector.isLeader(), 3_000)
  t.ok(tookMs <= 900, `by the renew deadline (${tookMs} ms), inside the 1 s lease`)
  t.equal(a.stopped, 1)
  standIn.leaseDown = false
  await waitFor('a leads again once the apiserver is back', () => a.elector.isLeader(), 3_000)
  t.equal(a.started, 2)
})

t.test('a 409 on a write is a lost race: the other writer leads', async (t) => {
  const a = candidate(t, 'race', 'a')
  const b = candidate(t, 'race', 'b')
  const conflicts = standIn.leaseCalls.conflicts
  // Both see no lease and both create it: the apiserver lets exactly one create succeed.
  a.elector.start()
  b.elector.start()
  await waitFor('a leader', () => leaders([a, b]) === 1)
  await new Promise((r) => setTimeout(r, 300))
  t.equal(leaders([a, b]), 1)
  t.ok(standIn.leaseCalls.conflicts >= conflicts, 'conflicts are survived')
})

t.test('stop clears its timers: nothing is sent afterwards', async (t) => {
  const a = candidate(t, 'quiet', 'a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  await a.elector.stop()
  const calls = standIn.leaseCalls.get + standIn.leaseCalls.update + standIn.leaseCalls.create
  await new Promise((r) => setTimeout(r, 300))
  t.equal(standIn.leaseCalls.get + standIn.leaseCalls.update + standIn.leaseCalls.create, calls)
  t.notOk(a.elector.isLeader())
})
