import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { events, getJson, waitFor } from '../lib/kube.js'
import type { ForesightProcess } from '../lib/procs.js'
import { healWorkload, policyStatus } from '../lib/workload.js'
import { LEASE, startController } from './remediation.js'

// Step 6: two controllers; the leader is killed with SIGKILL (no lease release) after its first restart. The
// other must take the Lease once it expires and continue from the durable record: the budget
// (maxRestartsPerHour 2) holds across the two leaders.

const NS = 'heal-budget'
const BUDGET = 2

interface LeaseSpec { holderIdentity?: string; renewTime?: string; acquireTime?: string }

async function lease(): Promise<LeaseSpec> {
  return (await getJson<{ spec: LeaseSpec }>(['get', 'lease', 'foresight-controller', '-n', 'foresight']))?.spec ?? {}
}
const holder = async (): Promise<string | undefined> => (await lease()).holderIdentity

export async function failoverSuite(t: Test, suite: Suite, first: ForesightProcess | undefined): Promise<void> {
  await t.test('leader failover: kill -9 the leader, the other takes over, the restart budget holds', { skip: first === undefined ? 'no controller from the previous step' : false }, async (t) => {
    if (first === undefined) return
    const second = startController(suite, 'ctl-b')
    await second.waitForLog(/controller started/, 60_000)
    t.equal(await holder(), first.name, `${first.name} still leads with ${second.name} standing by`)

    // Watch the record the whole time: it must never hold more than the budget, whoever leads.
    let maxSeen = 0
    const samples: number[] = []
    let watching = true
    const watch = (async (): Promise<void> => {
      while (watching) {
        const n = (await policyStatus(NS).catch(() => ({ restartsInWindow: [] }))).restartsInWindow?.length ?? 0
        maxSeen = Math.max(maxSeen, n)
        samples.push(n)
        await new Promise((r) => setTimeout(r, 300))
      }
    })()
    try {
      await healWorkload(NS, { mode: 'Enforce', maxRestartsPerHour: BUDGET, podCooldownSeconds: 0, workloadCooldownSeconds: 6, sustainedSeconds: 1 })
      const rec1 = await waitFor(`the first restart in ${NS} on the record`, 60_000, async () => {
        const s = await policyStatus(NS)
        return (s.restartsInWindow?.length ?? 0) >= 1 ? s.restartsInWindow : undefined
      })
      t.equal(rec1.length, 1, `${first.name} restarted ${rec1[0]?.pod} and the workload cooldown holds the second`)

      const killedAt = Date.now()
      await first.kill('SIGKILL')
      const lastRenew = Date.parse((await lease()).renewTime ?? '')
      const taken = await waitFor(`${second.name} to take the Lease`, 20_000, async () => {
        const l = await lease()
        return l.holderIdentity === second.name ? l : undefined
      }, 200)
      // The Lease's own times (the apiserver's clock is this machine's), not the polling. A candidate sees the
      // last renewal up to one retry period late, may take the lease leaseDurationSeconds after that, acts on its
      // next retry tick, and each of its calls takes a few hundred ms on this busy machine: hence the slack.
      const acquired = Date.parse(taken.acquireTime ?? '')
      const bound = LEASE.seconds * 1000 + 2 * LEASE.retryMs + 1_000
      t.ok(acquired - lastRenew <= bound, `${second.name} acquired the Lease ${acquired - lastRenew} ms after ${first.name}'s last renewal, ${acquired - killedAt} ms after the kill (lease ${LEASE.seconds} s, retry ${LEASE.retryMs} ms; bound ${bound} ms)`)
      t.ok(acquired - lastRenew >= LEASE.seconds * 1000, 'and not before the lease expired')

      const rec2 = await waitFor(`the second restart in ${NS} by ${second.name}`, 30_000, async () => {
        const s = await policyStatus(NS)
        return (s.restartsInWindow?.length ?? 0) >= 2 ? s.restartsInWindow : undefined
      })
      t.ok(Date.parse(rec2[1]?.time ?? '') >= killedAt - 1000, `the second restart (${rec2[1]?.time}) is the new leader's`)
      const exhausted = await waitFor(`a BudgetExhausted Event in ${NS}`, 30_000, async () => (await events(NS)).find((e) => e.reason === 'BudgetExhausted'))
      t.match(exhausted.note, /not restarted/, `then: ${exhausted.note}`)
      // More rounds of the new leader with web-2 still an outlier and no cooldown left but the budget.
      await new Promise((r) => setTimeout(r, 4_000))
    } finally {
      watching = false
      await watch
    }
    t.equal(maxSeen, BUDGET, `status.restartsInWindow never exceeded maxRestartsPerHour ${BUDGET} (${samples.length} samples, max ${maxSeen})`)
    t.equal((await policyStatus(NS)).restartsInWindow?.length, BUDGET)
  })
}
