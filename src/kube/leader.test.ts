import { KubeConfig } from '@kubernetes/client-node'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { startRemediationStandIn, type RemediationStandIn } from '../../test/helpers/remediation-standin.js'
import { LeaderElector, type LeaseClient, type LeaseRecord, type LeaderElectorOptions } from './leader.js'

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
  // isLeader() turns false at the deadline itself; the callback follows with the round that notices.
  await waitFor('a is told', () => a.stopped === 1, 3_000)
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

// With an injected clock and an in-memory lease: the clock only moves when the test moves it, so what is checked
// is the elector's reasoning about time, not how fast this machine runs. Rounds still follow real (tiny) timers.

/** hold: the answers to writes (create, update) wait for it, after the write has landed. */
interface FakeCtl { calls: number; gets: number; updates: number; down: boolean; hold: Promise<void> | undefined }

class FakeLeases {
  record: LeaseRecord | undefined
  rv = 0
  client(ctl: FakeCtl): LeaseClient {
    const answer = async <T>(v: T, signal: AbortSignal): Promise<T> => {
      if (ctl.hold !== undefined) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))
          if (signal.aborted) onAbort()
          signal.addEventListener('abort', onAbort, { once: true })
          void ctl.hold?.then(resolve)
        })
      }
      return v
    }
    const check = (): void => {
      ctl.calls++
      if (ctl.down) throw Object.assign(new Error('down'), { code: 503 })
    }
    return {
      get: async (_signal) => {
        check()
        ctl.gets++
        return this.record === undefined ? undefined : { record: { ...this.record }, resourceVersion: String(this.rv) }
      },
      create: async (record, signal) => {
        check()
        if (this.record !== undefined) throw Object.assign(new Error('exists'), { code: 409 })
        this.record = { ...record }
        this.rv++
        return answer(undefined, signal)
      },
      update: async (record, resourceVersion, signal) => {
        check()
        ctl.updates++
        if (resourceVersion !== String(this.rv)) throw Object.assign(new Error('conflict'), { code: 409 })
        this.record = { ...record }
        this.rv++
        return answer(undefined, signal)
      },
    }
  }
}

const T0 = 1_700_000_000_000

function clocked(t: Test): { leases: FakeLeases; clock: { ms: number }; candidate: (identity: string) => Candidate & { ctl: FakeCtl } } {
  const leases = new FakeLeases()
  const clock = { ms: T0 }
  return {
    leases,
    clock,
    candidate: (identity) => {
      const ctl: FakeCtl = { calls: 0, gets: 0, updates: 0, down: false, hold: undefined }
      const c = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0, ctl }
      // In client-go's proportions, in units large enough that no real timeout fires while the test holds a call.
      c.elector = new LeaderElector({
        client: leases.client(ctl), namespace: 'foresight', name: 'fake', identity, log,
        leaseDurationSeconds: 10, renewDeadlineMs: 7_000, retryPeriodMs: 5,
        now: () => clock.ms, random: () => 0,
        onStartedLeading: () => { c.started++ },
        onStoppedLeading: () => { c.stopped++ },
      })
      t.teardown(() => c.elector.stop({ release: false }))
      return c
    },
  }
}

t.test('the renew deadline counts from when the write was sent, not from when its answer came', async (t) => {
  // A reviewer's run: lease 1 s, renewDeadline 700 ms, the acquire answered after 650 ms: two leaders for 390 ms.
  // Here scaled by 10, on an injected clock.
  const { leases, clock, candidate } = clocked(t)
  const a = candidate('a')
  let answer: () => void = () => undefined
  a.ctl.hold = new Promise((resolve) => { answer = resolve })
  a.elector.start()
  await waitFor('a\'s create to land', () => leases.record?.holderIdentity === 'a')
  const b = candidate('b')
  b.elector.start()
  await waitFor('b to see a\'s lease', () => b.ctl.gets >= 1)

  clock.ms = T0 + 6_500
  // From the answer on a cannot reach the apiserver, so it never renews.
  a.ctl.down = true
  answer()
  await waitFor('a leads', () => a.started === 1)
  t.ok(a.elector.isLeader(), 'a leads once the answer is in')

  clock.ms = T0 + 7_000
  t.notOk(a.elector.isLeader(), 'a stops leading renewDeadline after it sent the write (not after the answer)')
  clock.ms = T0 + 10_001
  await waitFor('b takes over once the lease it saw has expired', () => b.elector.isLeader())
  t.equal(leases.record?.holderIdentity, 'b')
  t.notOk(a.elector.isLeader(), 'never two leaders')
  await waitFor('a notices in a round', () => a.stopped === 1)
})

t.test('isLeader is decided by the clock: a leader whose rounds stall stops leading at its renew deadline', async (t) => {
  const { clock, candidate } = clocked(t)
  const a = candidate('a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  // Every write from now on hangs, as for a paused process or an apiserver that never answers: no round completes.
  a.ctl.hold = new Promise(() => undefined)
  const updates = a.ctl.updates
  await waitFor('a renewal in flight', () => a.ctl.updates > updates)
  const renewedAt = clock.ms
  clock.ms = renewedAt + 6_999
  t.ok(a.elector.isLeader(), 'still inside the renew deadline')
  t.equal(a.elector.leadershipLeftMs(), 1, 'with 1 ms left (what an eviction may wait at most)')
  clock.ms = renewedAt + 7_000
  t.notOk(a.elector.isLeader(), 'past it: not leading, though no round has ended')
  t.equal(a.elector.leadershipLeftMs(), 0)
  t.equal(a.stopped, 0, 'no round has noticed yet')
})

t.test('another holder\'s lease expires by the local observation time only (client-go), not by its renewTime', async (t) => {
  const { leases, clock, candidate } = clocked(t)
  // The holder's clock runs an hour ahead, and it is gone: its renewTime stays in the future.
  leases.record = { holderIdentity: 'gone', leaseDurationSeconds: 10, acquireTimeMs: T0 + 3_600_000, renewTimeMs: T0 + 3_600_000, leaseTransitions: 4 }
  leases.rv = 1
  const b = candidate('b')
  b.elector.start()
  await waitFor('b sees the lease', () => b.ctl.gets >= 1)
  clock.ms = T0 + 9_999
  const gets = b.ctl.gets
  await waitFor('b to look again', () => b.ctl.gets >= gets + 3)
  t.notOk(b.elector.isLeader(), 'valid for leaseDuration after b first saw it')
  clock.ms = T0 + 10_000
  await waitFor('b takes over', () => b.elector.isLeader())
  t.match(leases.record, { holderIdentity: 'b', leaseTransitions: 5, renewTimeMs: T0 + 10_000 })
})

t.test('a record that keeps changing stays valid: the observation time moves with it', async (t) => {
  const { leases, clock, candidate } = clocked(t)
  leases.record = { holderIdentity: 'other', leaseDurationSeconds: 10, acquireTimeMs: T0, renewTimeMs: T0, leaseTransitions: 0 }
  leases.rv = 1
  const b = candidate('b')
  b.elector.start()
  await waitFor('b sees the lease', () => b.ctl.gets >= 1)
  // The holder renews at T0 + 8 s; b sees that change, so the lease runs to T0 + 18 s by b's clock.
  clock.ms = T0 + 8_000
  leases.record = { ...leases.record, renewTimeMs: T0 + 8_000 }
  leases.rv++
  const gets = b.ctl.gets
  await waitFor('b sees the renewal', () => b.ctl.gets >= gets + 2)
  clock.ms = T0 + 17_999
  const again = b.ctl.gets
  await waitFor('b to look again', () => b.ctl.gets >= again + 3)
  t.notOk(b.elector.isLeader())
  clock.ms = T0 + 18_000
  await waitFor('b takes over', () => b.elector.isLeader())
})

t.test('stopCampaigning: a candidate never acquires again; a leader keeps renewing until stop() releases', async (t) => {
  const { leases, clock, candidate } = clocked(t)
  const a = candidate('a')
  a.elector.start()
  await waitFor('a leads', () => a.elector.isLeader())
  const b = candidate('b')
  b.elector.start()
  await waitFor('b sees a\'s lease', () => b.ctl.gets >= 1)
  await b.elector.stopCampaigning()
  const bCalls = b.ctl.calls

  await a.elector.stopCampaigning()
  const updates = a.ctl.updates
  await waitFor('a keeps renewing', () => a.ctl.updates >= updates + 3)
  t.ok(a.elector.isLeader(), 'a still leads while it finishes its work')
  await a.elector.stop()
  t.equal(leases.record?.holderIdentity, '', 'released')
  t.equal(a.stopped, 1)

  // The lease is free: a third candidate takes it in a few rounds, b (no longer campaigning) never tries.
  clock.ms += 1
  const c = candidate('c')
  c.elector.start()
  await waitFor('c leads', () => c.elector.isLeader())
  const cCalls = c.ctl.calls
  await waitFor('c renews a few times', () => c.ctl.calls >= cCalls + 5)
  t.equal(b.ctl.calls, bCalls, 'b sent nothing after it stopped campaigning')
  t.equal(b.started, 0)
})
