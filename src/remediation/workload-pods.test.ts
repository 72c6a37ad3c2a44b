import { KubeConfig } from '@kubernetes/client-node'
import t from 'tap'
import { listenWithKubeconfig, standInApp } from '../../test/helpers/standin.js'
import { policySchema, type Policy } from '../policy/schema.js'
import { kubeWorkloadPods } from './workload-pods.js'

// Which pods a policy may restart: only those its scale target controls (controller ownerReference, by uid), never a
// pod that merely shares the labels. The stand-in serves the apps/v1 and core/v1 reads the lookup makes.

type Obj = { metadata: Record<string, unknown>; spec?: Record<string, unknown> }
const owner = (kind: string, name: string, uid: string, controller = true): Record<string, unknown> => ({ apiVersion: 'apps/v1', kind, name, uid, controller, blockOwnerDeletion: true })
const pod = (ns: string, name: string, labels: Record<string, string>, ownerReferences: Array<Record<string, unknown>> = []): Obj => ({
  metadata: { name, namespace: ns, uid: `uid-${name}`, labels, creationTimestamp: '2026-01-01T00:00:00Z', ownerReferences },
})
const rs = (ns: string, name: string, uid: string, labels: Record<string, string>, ownerReferences: Array<Record<string, unknown>> = []): Obj => ({
  metadata: { name, namespace: ns, uid, labels, ownerReferences },
})

function matches(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || selector === '') return true
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=')
    return k !== undefined && labels?.[k] === v
  })
}

const standIn = standInApp('workload-pods-standin')
const workloads = new Map<string, Obj>()
const replicaSets: Obj[] = []
const pods: Obj[] = []
const calls: string[] = []
const labelsOf = (o: Obj): Record<string, string> => o.metadata.labels as Record<string, string>
const inNs = (ns: string) => (o: Obj): boolean => o.metadata.namespace === ns

for (const kind of ['deployments', 'statefulsets', 'replicasets']) {
  standIn.app.get<{ Params: { ns: string; name: string } }>(`/apis/apps/v1/namespaces/:ns/${kind}/:name`, async (req, reply) => {
    calls.push(`get ${kind}`)
    return workloads.get(`${kind}/${req.params.ns}/${req.params.name}`) ?? reply.code(404).send({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'not found' })
  })
}
standIn.app.get<{ Params: { ns: string }; Querystring: { labelSelector?: string } }>('/apis/apps/v1/namespaces/:ns/replicasets', async (req) => {
  calls.push(`list replicasets ${req.query.labelSelector ?? ''}`)
  return { kind: 'ReplicaSetList', apiVersion: 'apps/v1', metadata: {}, items: replicaSets.filter(inNs(req.params.ns)).filter((r) => matches(req.query.labelSelector, labelsOf(r))) }
})
standIn.app.get<{ Params: { ns: string }; Querystring: { labelSelector?: string } }>('/api/v1/namespaces/:ns/pods', async (req) => {
  calls.push(`list pods ${req.query.labelSelector ?? ''}`)
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods.filter(inNs(req.params.ns)).filter((p) => matches(req.query.labelSelector, labelsOf(p))) }
})

let kc: KubeConfig
t.before(async () => {
  const { kubeconfigFile } = await listenWithKubeconfig(standIn, 'controller')
  kc = new KubeConfig()
  kc.loadFromFile(kubeconfigFile)
})
t.teardown(() => standIn.app.close())

function policy(ns: string, kind: string, name: string): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'p', namespace: ns },
    spec: { scaleTargetRef: { kind, name }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas: 10 },
  })
}

const web = { app: 'web' }

t.test('Deployment: only pods of the ReplicaSets it controls, by uid; bare, foreign and Job pods sharing the labels are left out', async (t) => {
  const ns = 'dep'
  workloads.set(`deployments/${ns}/web`, { metadata: { name: 'web', namespace: ns, uid: 'dep-web' }, spec: { selector: { matchLabels: web } } })
  replicaSets.push(
    rs(ns, 'web-abc', 'rs-abc', web, [owner('Deployment', 'web', 'dep-web')]),
    // The previous ReplicaSet of a rollout in progress: still the Deployment's.
    rs(ns, 'web-old', 'rs-old', web, [owner('Deployment', 'web', 'dep-web')]),
    // A canary Deployment whose pods carry the same labels.
    rs(ns, 'web-canary-1', 'rs-canary', web, [owner('Deployment', 'web-canary', 'dep-canary')]),
    // Orphaned (kubectl delete --cascade=orphan): nobody's now, and not this Deployment's.
    rs(ns, 'web-orphan', 'rs-orphan', web),
    // Names the Deployment but is not controlled by it.
    rs(ns, 'web-ref', 'rs-ref', web, [owner('Deployment', 'web', 'dep-web', false)]),
  )
  pods.push(
    pod(ns, 'web-abc-1', web, [owner('ReplicaSet', 'web-abc', 'rs-abc')]),
    pod(ns, 'web-abc-2', web, [owner('ReplicaSet', 'web-abc', 'rs-abc')]),
    pod(ns, 'web-old-1', web, [owner('ReplicaSet', 'web-old', 'rs-old')]),
    pod(ns, 'debug', web),
    pod(ns, 'canary-1', web, [owner('ReplicaSet', 'web-canary-1', 'rs-canary')]),
    pod(ns, 'orphaned-1', web, [owner('ReplicaSet', 'web-orphan', 'rs-orphan')]),
    pod(ns, 'ref-1', web, [owner('ReplicaSet', 'web-ref', 'rs-ref')]),
    pod(ns, 'job-1', web, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', uid: 'job-uid', controller: true }]),
    // The ReplicaSet's name and uid, but only as a plain (non-controller) reference.
    pod(ns, 'adopted-not', web, [owner('ReplicaSet', 'web-abc', 'rs-abc', false)]),
    // Same name as the Deployment's ReplicaSet, another uid (a deleted and recreated namesake).
    pod(ns, 'namesake', web, [owner('ReplicaSet', 'web-abc', 'rs-abc-before')]),
    pod(ns, 'other-app', { app: 'other' }, [owner('ReplicaSet', 'web-abc', 'rs-abc')]),
  )
  calls.length = 0
  const got = await kubeWorkloadPods(kc, 5_000)(policy(ns, 'Deployment', 'web'))
  t.same(got.map((p) => p.name).sort(), ['web-abc-1', 'web-abc-2', 'web-old-1'])
  t.match(got.find((p) => p.name === 'web-abc-1'), { uid: 'uid-web-abc-1', owner: 'web-abc', ready: false, phase: 'Unknown' })
  t.same(calls, ['get deployments', 'list pods app=web', 'list replicasets app=web'], 'pods before ReplicaSets (a ReplicaSet exists before its pods), both with the Deployment\'s selector')
})

t.test('StatefulSet and ReplicaSet targets: the pod\'s controller is the target itself, by uid', async (t) => {
  const ns = 'sts'
  const db = { app: 'db' }
  workloads.set(`statefulsets/${ns}/db`, { metadata: { name: 'db', namespace: ns, uid: 'sts-db' }, spec: { selector: { matchLabels: db } } })
  workloads.set(`replicasets/${ns}/db-rs`, { metadata: { name: 'db-rs', namespace: ns, uid: 'rs-db' }, spec: { selector: { matchLabels: db } } })
  pods.push(
    pod(ns, 'db-0', db, [owner('StatefulSet', 'db', 'sts-db')]),
    pod(ns, 'db-1', db, [owner('StatefulSet', 'db', 'sts-db')]),
    pod(ns, 'db-debug', db),
    pod(ns, 'db-old-0', db, [owner('StatefulSet', 'db', 'sts-db-deleted-before')]),
    pod(ns, 'db-rs-x', db, [owner('ReplicaSet', 'db-rs', 'rs-db')]),
  )
  calls.length = 0
  const set = await kubeWorkloadPods(kc, 5_000)(policy(ns, 'StatefulSet', 'db'))
  t.same(set.map((p) => p.name).sort(), ['db-0', 'db-1'])
  t.notOk(calls.some((c) => c.startsWith('list replicasets')), 'no ReplicaSet list for a StatefulSet')
  const byRs = await kubeWorkloadPods(kc, 5_000)(policy(ns, 'ReplicaSet', 'db-rs'))
  t.same(byRs.map((p) => p.name), ['db-rs-x'])
})

t.test('a workload without a uid or with an empty selector is an error, not every pod', async (t) => {
  const ns = 'bad'
  workloads.set(`deployments/${ns}/nouid`, { metadata: { name: 'nouid', namespace: ns }, spec: { selector: { matchLabels: web } } })
  workloads.set(`deployments/${ns}/empty`, { metadata: { name: 'empty', namespace: ns, uid: 'dep-empty' }, spec: { selector: {} } })
  await t.rejects(kubeWorkloadPods(kc, 5_000)(policy(ns, 'Deployment', 'nouid')), { name: 'WorkloadError', message: /no uid/ })
  await t.rejects(kubeWorkloadPods(kc, 5_000)(policy(ns, 'Deployment', 'empty')), { name: 'WorkloadError', message: /empty selector/ })
})
