import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node'
import { policySchema } from '../../src/policy/schema.js'
import { countDisrupted } from '../../src/remediation/decide.js'
import { Evictor } from '../../src/remediation/evict.js'
import { kubeWorkloadPods, type WorkloadPod } from '../../src/remediation/workload-pods.js'
import { kubeApiserverMissing, startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js'

// A Deployment's terminating pod against maxUnavailable, with the stamps a real kube-apiserver writes: the pod
// evicted through the Eviction API (as the controller does) stays terminating, since no kubelet confirms it, and
// counts until a Ready replacement created after the eviction stands in for it. The Deployment's ReplicaSet and
// pods are written by the test: no controller-manager runs here.

const missing = kubeApiserverMissing()
if (missing !== undefined) {
  t.plan(0, `needs kube-apiserver and etcd: ${missing}`)
} else {
  const NS = 'stamps'
  const GRACE_SECONDS = 30
  let api: KubeApiserver
  let core: CoreV1Api
  let apps: AppsV1Api
  let kc: KubeConfig

  t.before(async () => {
    api = await startKubeApiserver()
    kc = new KubeConfig()
    kc.loadFromFile(api.adminKubeconfig)
    core = kc.makeApiClient(CoreV1Api)
    apps = kc.makeApiClient(AppsV1Api)
    await core.createNamespace({ body: { metadata: { name: NS } } })
  })
  t.teardown(() => api?.close())

  const labels = { app: 'web' }
  const template = { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'web:1' }] } }

  async function pod(name: string, owner: { name: string; uid: string } | undefined, ready: boolean): Promise<void> {
    const body: V1Pod = {
      metadata: {
        name, labels,
        ...(owner !== undefined ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.name, uid: owner.uid, controller: true }] } : {}),
      },
      // Bound to a node, so a deletion is graceful: kube-apiserver stamps it and waits for a kubelet.
      spec: { ...template.spec, nodeName: 'node-1', terminationGracePeriodSeconds: GRACE_SECONDS },
    }
    await core.createNamespacedPod({ namespace: NS, body })
    if (ready) await setReady(name)
  }

  async function setReady(name: string): Promise<void> {
    const p = await core.readNamespacedPod({ name, namespace: NS })
    p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
    await core.replaceNamespacedPodStatus({ name, namespace: NS, body: p })
  }

  t.test('an evicted pod counts against maxUnavailable until a Ready replacement created after the eviction stands in', async (t) => {
    const dep = await apps.createNamespacedDeployment({ namespace: NS, body: { metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: labels }, template } } })
    const rs = await apps.createNamespacedReplicaSet({
      namespace: NS,
      body: {
        metadata: { name: 'web-1', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: dep.metadata?.uid ?? '', controller: true }] },
        spec: { replicas: 3, selector: { matchLabels: labels }, template },
      },
    })
    const owner = { name: 'web-1', uid: rs.metadata?.uid ?? '' }
    for (const name of ['web-a', 'web-b', 'web-c']) await pod(name, owner, true)
    // A pod with the same labels that the Deployment does not own: neither listed nor counted.
    await pod('debug', undefined, true)
    const policy = policySchema.parse({
      apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: NS },
      spec: { scaleTargetRef: { name: 'web' }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas: 10 },
    })
    const list = kubeWorkloadPods(kc, 10_000)
    const byName = async (): Promise<Map<string, WorkloadPod>> => new Map((await list(policy)).map((p) => [p.name, p]))
    const none = new Set<string>()

    t.same([...(await byName()).keys()].sort(), ['web-a', 'web-b', 'web-c'], 'the Deployment\'s pods, through its ReplicaSet')
    t.equal(countDisrupted([...(await byName()).values()], none), 0, 'all Ready: none disrupted')

    // Timestamps are whole seconds: the eviction lands in a later second than the pods' creation.
    await sleep(1_100)
    const evictedAtMs = Date.now()
    t.same(await new Evictor({ kc }).evict({ namespace: NS, pod: 'web-a', dryRun: false }), { outcome: 'evicted' })
    const evicted = (await byName()).get('web-a')
    t.ok(evicted?.deletionTimestamp !== undefined, 'the evicted pod is terminating')
    t.equal(evicted?.deletionGracePeriodSeconds, GRACE_SECONDS, 'with the pod\'s grace period')
    const requestedMs = (evicted?.deletionTimestamp?.getTime() ?? NaN) - GRACE_SECONDS * 1000
    t.ok(Math.abs(requestedMs - evictedAtMs) <= 1_500, `the deletionTimestamp less the grace period is the eviction's time (${requestedMs - evictedAtMs} ms off)`)
    t.equal(countDisrupted([...(await byName()).values()], none), 1, 'web-b and web-c, older than the eviction, do not stand in for it')

    await sleep(1_100)
    await pod('web-d', owner, false)
    t.equal(countDisrupted([...(await byName()).values()], none), 2, 'a replacement not yet Ready is disrupted itself and stands in for nothing')
    await setReady('web-d')
    const now = [...(await byName()).values()]
    t.equal(countDisrupted(now, none), 0, 'the Ready replacement stands in for the terminating pod')
    t.equal(countDisrupted(now, new Set(['web-d'])), 2, 'counted with the replacement out (as a candidate), the terminating pod counts again')
  })
}
