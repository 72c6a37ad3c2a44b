import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { apply, events, getJson, kubectl, KUBECONFIG, waitFor, type KubeEvent } from '../lib/kube.js'
import { startForesight, type ForesightProcess } from '../lib/procs.js'
import { healWorkload, podUids, policyStatus } from '../lib/workload.js'
import { failoverSuite } from './failover.js'

// Step 5: `foresight controller` evicting the outlier pod web-2 of kwok StatefulSets, one namespace per case,
// all cases under one controller at once (they are independent policies).

const LEASE = { seconds: 4, renewMs: 3_000, retryMs: 500 }

export function startController(suite: Suite, identity: string): ForesightProcess {
  return startForesight(identity, 'controller', [
    `kubeconfig=${KUBECONFIG}`, 'metrics.port=0', 'logLevel=info',
    'leaderElection.leaseNamespace=foresight', `leaderElection.identity=${identity}`,
    `leaderElection.leaseDurationSeconds=${LEASE.seconds}`, `leaderElection.renewDeadlineMs=${LEASE.renewMs}`, `leaderElection.retryPeriodMs=${LEASE.retryMs}`,
    'reconcile.intervalMs=1000', 'eviction.initialBackoffMs=1000', 'eviction.maxBackoffMs=5000',
  ], suite.dir)
}
export { LEASE }

const eventOn = async (ns: string, reason: string, pod?: string): Promise<KubeEvent | undefined> =>
  (await events(ns)).find((e) => e.reason === reason && (pod === undefined || (e.regarding?.kind === 'Pod' && e.regarding.name === pod)))

const NS = { enforce: 'heal-enforce', pdb: 'heal-pdb', dryrun: 'heal-dryrun', most: 'heal-most', all: 'heal-all' }

// web-1's error ratio times 30 (~0.36): web-1 and web-2 are both outliers, 2 of 4 pods, "most pods failing".
const TWO_BAD = 'max by (pod) (http_requests_errors_ratio{namespace="default",service="web",pod!="web-1"}) or max by (pod) (http_requests_errors_ratio{namespace="default",service="web",pod="web-1"}) * 30'

// Every pod failing the same way (error ratio 0.9 each): a shared cause, so no pod stands out and none is restarted.
const ALL_BAD = 'max by (pod) (http_requests_errors_ratio{namespace="default",service="web"}) * 0 + 0.9'

export async function remediationSuite(t: Test, suite: Suite): Promise<void> {
  const skip = suite.adapter === undefined ? 'no adapter' : false
  let controller: ForesightProcess | undefined
  await t.test('controller: outlier evicted, PDB blocks, DryRun reports, most or all pods failing restarts nothing', { skip }, async (t) => {
    await healWorkload(NS.enforce, { mode: 'Enforce' })
    await healWorkload(NS.pdb, { mode: 'Enforce' })
    await apply(`apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: ${NS.pdb}}
spec: {maxUnavailable: 0, selector: {matchLabels: {app: web}}}
`)
    await healWorkload(NS.dryrun, { mode: 'DryRun' })
    await healWorkload(NS.most, { mode: 'Enforce' }, TWO_BAD)
    await healWorkload(NS.all, { mode: 'Enforce' }, ALL_BAD)
    const before: Record<string, Record<string, string>> = {}
    for (const ns of Object.values(NS)) {
      before[ns] = await waitFor(`4 pods of ${ns}/web`, 60_000, async () => {
        const u = await podUids(ns)
        return Object.keys(u).length === 4 ? u : undefined
      })
    }
    // Scores must be served before the controller can judge: the adapter refreshes every 2 s.
    await waitFor('the adapter to score web-2 of heal-enforce an outlier', 30_000, async () => {
      const r = await kubectl(['get', '--raw', `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS.enforce}/foresight_pod_anomaly_score?labelSelector=foresight.dev%2Fpolicy%3Dweb`])
      const items = (JSON.parse(r.stdout) as { items: Array<{ metricLabels: Record<string, string>; value: string }> }).items
      return items.some((i) => i.metricLabels.pod === 'web-2') ? items : undefined
    })
    const allScores = await waitFor('the adapter to score all 4 pods of heal-all', 30_000, async () => {
      const r = await kubectl(['get', '--raw', `/apis/external.metrics.k8s.io/v1beta1/namespaces/${NS.all}/foresight_pod_anomaly_score?labelSelector=foresight.dev%2Fpolicy%3Dweb`])
      const items = (JSON.parse(r.stdout) as { items: Array<{ metricLabels: Record<string, string>; value: string }> }).items
      return items.length === 4 ? items : undefined
    })
    t.same(allScores.map((i) => i.value), ['0', '0', '0', '0'], 'all pods failing alike: every pod scores 0 against its peers')
    const t0 = Date.now()
    controller = startController(suite, 'ctl-a')
    await controller.waitForLog(/controller started/, 60_000)

    const restarted = await waitFor('a Restarted Event on pod heal-enforce/web-2', 60_000, () => eventOn(NS.enforce, 'Restarted', 'web-2'))
    t.pass(`Enforce: web-2 evicted ${Date.now() - t0} ms after the controller started: ${restarted.note}`)
    const enforced = await waitFor('heal-enforce/web-2 recreated with a new uid', 30_000, async () => {
      const u = await podUids(NS.enforce)
      return u['web-2'] !== undefined && u['web-2'] !== before[NS.enforce]?.['web-2'] ? u : undefined
    })
    for (const p of ['web-0', 'web-1', 'web-3']) t.equal(enforced[p], before[NS.enforce]?.[p], `Enforce: ${p} untouched`)
    const es = await policyStatus(NS.enforce)
    t.equal(es.lastRemediation?.action, 'Evicted', 'status.lastRemediation.action Evicted')
    t.same(es.restartsInWindow?.map((r) => r.pod), ['web-2'], 'one restart on the record')

    const blocked = await waitFor('an EvictionBlocked Event in heal-pdb', 30_000, () => eventOn(NS.pdb, 'EvictionBlocked'))
    t.equal(blocked.type, 'Warning', `PDB: ${blocked.note}`)
    t.equal((await policyStatus(NS.pdb)).lastRemediation?.action, 'EvictionBlocked')

    const dry = await waitFor('a DryRun Event on pod heal-dryrun/web-2', 30_000, () => eventOn(NS.dryrun, 'DryRun', 'web-2'))
    t.match(dry.note, /would restart/, `DryRun: ${dry.note}`)
    const ds = await policyStatus(NS.dryrun)
    t.equal(ds.lastRemediation?.action, 'DryRun')
    t.same(ds.restartsInWindow ?? [], [], 'DryRun spends none of the real budget')

    const most = await waitFor('a MostPodsFailing Event in heal-most', 30_000, () => eventOn(NS.most, 'MostPodsFailing'))
    t.match(most.note, /2 of 4 pods are anomalous together/, `most pods failing: ${most.note}`)
    const ms = await policyStatus(NS.most)
    t.equal(ms.conditions?.find((c) => c.type === 'Remediation')?.reason, 'MostPodsFailing')

    // Several more rounds, then nothing else may have been evicted anywhere.
    await new Promise((r) => setTimeout(r, 3_000))
    for (const ns of [NS.pdb, NS.dryrun, NS.most, NS.all]) t.same(await podUids(ns), before[ns], `${ns}: no pod was evicted`)
    t.same((await policyStatus(NS.most)).restartsInWindow ?? [], [], 'most pods failing: nothing on the record')
    const all = await policyStatus(NS.all)
    t.same(all.restartsInWindow ?? [], [], 'all pods failing: nothing on the record')
    t.equal(all.lastRemediation, undefined, 'all pods failing: no remediation at all')
    t.same((await events(NS.all)).filter((e) => e.reason === 'Restarted' || e.reason === 'EvictionBlocked').map((e) => e.reason), [], 'all pods failing: no restart Events')
    const lease = await getJson<{ spec: { holderIdentity?: string } }>(['get', 'lease', 'foresight-controller', '-n', 'foresight'])
    t.equal(lease?.spec.holderIdentity, 'ctl-a', 'the only controller holds the Lease')
  })
  await failoverSuite(t, suite, controller)
}
