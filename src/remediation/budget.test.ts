import t from 'tap'
import { remediationSchema, type PolicyStatus } from '../policy/schema.js'
import { updatePolicyStatus, type StatusClient } from '../policy/status.js'
import { appendRestart, countInWindow, inWorkloadCooldown, lastActionMs, lastRestartMs, pruneRecord, recordOutcome, reserveRestart, type RestartEntry } from './budget.js'
import { decide } from './decide.js'
import { applyMergePatch } from '../../test/helpers/standin.js'

const NOW = Date.parse('2026-01-01T12:00:00Z')
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString()
const rec = (...e: Array<[string, number]>): RestartEntry[] => e.map(([pod, s]) => ({ pod, time: at(s) }))

t.test('prune and count', async (t) => {
  const rows: Array<{ name: string; record: RestartEntry[] | undefined; count: number; pods: string[] }> = [
    { name: 'undefined record', record: undefined, count: 0, pods: [] },
    { name: 'inside the hour, sorted oldest first', record: rec(['b', 10], ['a', 3000]), count: 2, pods: ['a', 'b'] },
    { name: 'exactly an hour old is out', record: rec(['a', 3600], ['b', 3599]), count: 1, pods: ['b'] },
    { name: 'garbage times are dropped', record: [{ pod: 'x', time: 'yesterday' }, ...rec(['b', 1])], count: 1, pods: ['b'] },
    { name: 'future times (a clock ahead) are kept', record: rec(['f', -30]), count: 1, pods: ['f'] },
  ]
  for (const r of rows) {
    t.equal(countInWindow(r.record, NOW), r.count, r.name)
    t.same(pruneRecord(r.record, NOW).map((e) => e.pod), r.pods, r.name)
  }
  t.equal(pruneRecord(Array.from({ length: 500 }, (_, i) => ({ pod: `p${i}`, time: at(i) })), NOW).length, 200, 'capped')
})

t.test('append and last', async (t) => {
  const r = appendRestart(rec(['old', 4000], ['a', 100]), 'b', NOW)
  t.same(r.map((e) => e.pod), ['a', 'b'], 'pruned while appending')
  t.equal(r[1]?.time, new Date(NOW).toISOString())
  t.equal(lastRestartMs(r), NOW)
  t.equal(lastRestartMs(r, 'a'), NOW - 100_000)
  t.equal(lastRestartMs(r, 'zzz'), undefined)
  t.equal(lastActionMs({ restartsInWindow: rec(['a', 100]), lastRemediation: { pod: 'a', time: at(50), action: 'Evicted', reason: '' } }), NOW - 50_000)
  t.equal(lastActionMs({ lastRemediation: { pod: 'a', time: at(50), action: 'DryRun', reason: '' } }), undefined, 'dry runs start no cooldown')
})

t.test('reserve: the write-ahead step re-checks everything against the fresh status', async (t) => {
  const input = { pod: 'p1', nowMs: NOW, maxRestartsPerHour: 3, podCooldownSeconds: 900, workloadCooldownSeconds: 300 }
  const rows: Array<{ name: string; status: PolicyStatus; want: string; outlierSinceSecondsAgo?: number }> = [
    { name: 'empty record', status: {}, want: 'granted' },
    { name: 'an outlier since before the workload\'s last restart is not held by its cooldown', status: { restartsInWindow: rec(['p2', 200]) }, outlierSinceSecondsAgo: 400, want: 'granted' },
    { name: 'an outlier since after the workload\'s last restart waits for the cooldown', status: { restartsInWindow: rec(['p2', 200]) }, outlierSinceSecondsAgo: 150, want: 'WorkloadCooldown' },
    { name: 'an earlier outlier still respects the budget', status: { restartsInWindow: rec(['a', 3000], ['b', 2000], ['p2', 200]) }, outlierSinceSecondsAgo: 400, want: 'BudgetExhausted' },
    { name: 'budget spent', status: { restartsInWindow: rec(['a', 3000], ['b', 2000], ['c', 1000]) }, want: 'BudgetExhausted' },
    { name: 'same pod within its cooldown', status: { restartsInWindow: rec(['p1', 800]) }, want: 'PodCooldown' },
    { name: 'another pod within the workload cooldown', status: { restartsInWindow: rec(['p2', 200]) }, want: 'WorkloadCooldown' },
    { name: 'both cooldowns over', status: { restartsInWindow: rec(['p1', 1000], ['p2', 400]) }, want: 'granted' },
  ]
  for (const r of rows) {
    const out = reserveRestart(r.status, { ...input, ...(r.outlierSinceSecondsAgo !== undefined ? { outlierSinceMs: NOW - r.outlierSinceSecondsAgo * 1000 } : {}) })
    t.equal(out.granted ? 'granted' : out.reason, r.want, r.name)
    if (out.granted) {
      t.equal(out.status.restartsInWindow?.at(-1)?.pod, 'p1')
      t.equal(out.status.lastRemediation?.action, 'EvictionRequested')
    } else t.equal(out.status, r.status, 'unchanged when refused')
  }
})

t.test('outcomes keep the entry: a failed attempt still counts', async (t) => {
  const reserved = reserveRestart({}, { pod: 'p1', nowMs: NOW, maxRestartsPerHour: 1, podCooldownSeconds: 0, workloadCooldownSeconds: 0 })
  t.ok(reserved.granted)
  const failed = recordOutcome(reserved.status, 'p1', 'EvictionFailed', 'HTTP 500', NOW + 1000)
  t.equal(countInWindow(failed.restartsInWindow, NOW + 2000), 1)
  t.same(failed.lastRemediation, { pod: 'p1', time: new Date(NOW + 1000).toISOString(), action: 'EvictionFailed', reason: 'HTTP 500' })
  t.notOk(reserveRestart(failed, { pod: 'p2', nowMs: NOW + 2000, maxRestartsPerHour: 1, podCooldownSeconds: 0, workloadCooldownSeconds: 0 }).granted)
})

/** A policy status held like the apiserver holds it: a resourceVersion that moves on every write. */
function memoryStatus(): StatusClient & { status: unknown; rv: number; writes: number; conflictNext: boolean } {
  const s = {
    status: {} as unknown,
    rv: 1,
    writes: 0,
    conflictNext: false,
    async get() { return { resourceVersion: String(s.rv), status: s.status } },
    async patch(_ref: unknown, body: Record<string, unknown>) {
      const meta = body.metadata as { resourceVersion: string }
      if (s.conflictNext || meta.resourceVersion !== String(s.rv)) {
        s.conflictNext = false
        // Another writer got there first: it used the budget's last slot.
        s.status = { restartsInWindow: rec(['other-leader', 5], ['x', 50], ['y', 60]) }
        s.rv++
        throw Object.assign(new Error('Conflict'), { code: 409 })
      }
      s.status = applyMergePatch(s.status, body.status)
      s.rv++
      s.writes++
    },
  }
  return s
}

const ref = { namespace: 'shop', name: 'web' }
const idle = new AbortController().signal
const remediation = remediationSchema.parse({ mode: 'Enforce', sustainedSeconds: 120, maxRestartsPerHour: 3, podCooldownSeconds: 900, workloadCooldownSeconds: 0, maxUnavailable: 1 })
const pods = ['p1', 'p2', 'p3', 'p4', 'p5'].map((name) => ({ name, creationTimestamp: new Date(NOW - 86_400_000), ready: true, phase: 'Running' }))
const history = new Map([['p1', Array.from({ length: 20 }, (_, i) => ({ timeMs: NOW - (19 - i) * 15_000, score: 0.95, class: 'error' as const }))]])

t.test('a leader that crashes between record and evict: its successor never exceeds the budget', async (t) => {
  const store = memoryStatus()
  let evictions = 0
  // Leader A decides, records, then dies before sending the eviction.
  const a = decide({ remediation, pods, history, status: {}, nowMs: NOW })
  t.equal(a.find((d) => d.pod === 'p1')?.action, 'restart')
  let granted = false
  await updatePolicyStatus(store, ref, (cur) => { const r = reserveRestart(cur, { ...remediation, pod: 'p1', nowMs: NOW }); granted = r.granted; return r.status })
  t.ok(granted)
  t.equal(store.writes, 1, 'the record reached the apiserver before any eviction')
  // ...crash: no eviction, no outcome.

  // Leader B takes over with empty memory and reads the durable record.
  const { status } = await store.get(ref, idle)
  const b = decide({ remediation, pods, history, status: status as PolicyStatus, nowMs: NOW + 20_000 })
  t.equal(b.find((d) => d.pod === 'p1')?.reason, 'PodCooldown', 'the pod A meant to restart is not restarted twice')
  t.equal(countInWindow((status as PolicyStatus).restartsInWindow, NOW + 20_000), 1, 'the unsent eviction still counts')
  t.equal(evictions, 0)

  // Every later attempt within the hour is bounded by the same record, whoever leads.
  let restarts = 1
  for (let i = 1; i <= 10; i++) {
    const now = NOW + i * 60_000
    const cur = (await store.get(ref, idle)).status as PolicyStatus
    const target = `q${i}`
    const ok = reserveRestart(cur, { ...remediation, pod: target, nowMs: now })
    if (ok.granted) {
      await updatePolicyStatus(store, ref, (c) => reserveRestart(c, { ...remediation, pod: target, nowMs: now }).status)
      restarts++
      evictions++
    }
  }
  t.equal(restarts, 3, 'budget of 3 per hour held across the crash')
  t.equal(countInWindow(((await store.get(ref, idle)).status as PolicyStatus).restartsInWindow, NOW + 600_000), 3)
})

t.test('a conflicting writer that spent the budget meanwhile wins: the reservation is refused on the retry', async (t) => {
  const store = memoryStatus()
  store.conflictNext = true
  let result: string | undefined
  const out = await updatePolicyStatus(store, ref, (cur) => {
    const r = reserveRestart(cur, { ...remediation, pod: 'p1', nowMs: NOW })
    result = r.granted ? 'granted' : r.reason
    return r.status
  })
  t.equal(result, 'BudgetExhausted')
  t.equal(out.written, false, 'nothing written, so nothing may be evicted')
  t.equal(out.attempts, 2)
})

t.test('the workload cooldown holds only outliers that began after the last restart', async (t) => {
  const rows: Array<{ name: string; last?: number; lastPod?: number; since?: number; want: boolean }> = [
    { name: 'the pod itself restarted since its streak began (a StatefulSet pod under its old name)', last: 100, lastPod: 100, since: 200, want: true },
    { name: 'the pod restarted before its streak began', last: 100, lastPod: 3000, since: 200, want: false },
    { name: 'no restart yet', since: 1000, want: false },
    { name: 'cooldown over', last: 400, since: 100, want: false },
    { name: 'began after the last restart', last: 100, since: 50, want: true },
    { name: 'began at the same moment as the last restart', last: 100, since: 100, want: true },
    { name: 'began before the last restart', last: 100, since: 101, want: false },
    { name: 'unknown start (an alert)', last: 100, want: true },
  ]
  for (const r of rows) {
    const got = inWorkloadCooldown(r.last !== undefined ? NOW - r.last * 1000 : undefined, r.lastPod !== undefined ? NOW - r.lastPod * 1000 : undefined, r.since !== undefined ? NOW - r.since * 1000 : undefined, NOW, 300)
    t.equal(got, r.want, r.name)
  }
})
