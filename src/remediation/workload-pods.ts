import { AppsV1Api, CoreV1Api, type KubeConfig, type V1LabelSelector, type V1ObjectMeta, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node'
import type { Policy } from '../policy/schema.js'
import { withSignal } from '../kube/client.js'
import type { PodInfo } from './decide.js'

export interface WorkloadPod extends PodInfo { uid?: string }

export type WorkloadPodLister = (policy: Policy) => Promise<WorkloadPod[]>

type WorkloadKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet'

class WorkloadError extends Error {
  override name = 'WorkloadError'
}

/** What the pod lookup reads from kube-apiserver; kubeWorkloadApi is the real one. */
interface WorkloadApi {
  /** The scale target: its uid (what its pods' or ReplicaSets' controller references point at) and selector. */
  readWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<{ metadata?: V1ObjectMeta; spec?: { selector?: V1LabelSelector } }>
  /** ReplicaSets matching a Deployment's selector (needs list on apps/replicasets). */
  listReplicaSets(namespace: string, labelSelector: string): Promise<Array<{ metadata?: V1ObjectMeta }>>
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>
}

/** A LabelSelector in the query-string grammar; undefined for an empty one, which would select every pod. */
function selectorString(sel: V1LabelSelector | undefined): string | undefined {
  const terms: string[] = []
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) terms.push(`${k}=${v}`)
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',')
    if (e.operator === 'In') terms.push(`${e.key} in (${values})`)
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${values})`)
    else if (e.operator === 'Exists') terms.push(e.key)
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`)
    else throw new WorkloadError(`unknown selector operator ${e.operator}`)
  }
  return terms.length > 0 ? terms.join(',') : undefined
}

/** The controlling owner reference (controller: true), as the workload controllers set it; at most one exists. */
function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((o) => o.controller === true)
}

function podInfo(p: V1Pod): WorkloadPod | undefined {
  const name = p.metadata?.name
  if (name === undefined) return undefined
  const created = p.metadata?.creationTimestamp
  const deleted = p.metadata?.deletionTimestamp
  const owner = controllerOf(p.metadata)?.name
  return {
    name,
    ...(p.metadata?.uid !== undefined ? { uid: p.metadata.uid } : {}),
    // A pod without a creation time is treated as brand new: the minimum age rule then protects it.
    creationTimestamp: created !== undefined ? new Date(created) : new Date(),
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    phase: p.status?.phase ?? 'Unknown',
    ...(deleted !== undefined ? { deletionTimestamp: new Date(deleted) } : {}),
    ...(p.metadata?.deletionGracePeriodSeconds !== undefined ? { deletionGracePeriodSeconds: p.metadata.deletionGracePeriodSeconds } : {}),
    ...(owner !== undefined ? { owner } : {}),
  }
}

/**
 * The pods among `pods` that the workload controls: for a StatefulSet or ReplicaSet, pods whose controlling owner
 * is that object (by uid); for a Deployment, pods whose controlling owner is one of its ReplicaSets (a ReplicaSet
 * whose own controlling owner is the Deployment, by uid). A pod that merely shares the labels (a bare debug pod,
 * a canary of another Deployment, a Job's pod) is neither restarted nor counted: evicting a pod nothing recreates
 * deletes it for good.
 */
function ownedPods(kind: WorkloadKind, workloadUid: string, pods: readonly V1Pod[], replicaSets: ReadonlyArray<{ metadata?: V1ObjectMeta }> = []): V1Pod[] {
  const owners = new Set<string>()
  const podOwnerKind = kind === 'StatefulSet' ? 'StatefulSet' : 'ReplicaSet'
  if (kind === 'Deployment') {
    for (const rs of replicaSets) {
      const c = controllerOf(rs.metadata)
      if (c?.kind === 'Deployment' && c.uid === workloadUid && rs.metadata?.uid !== undefined) owners.add(rs.metadata.uid)
    }
  } else {
    owners.add(workloadUid)
  }
  return pods.filter((p) => {
    const c = controllerOf(p.metadata)
    return c !== undefined && c.kind === podOwnerKind && owners.has(c.uid)
  })
}

/** The pods of a policy's scale target: found through the workload's selector, kept only when the workload controls them. */
export function workloadPods(api: WorkloadApi): WorkloadPodLister {
  return async (policy) => {
    const ref = policy.spec.scaleTargetRef
    const kind: WorkloadKind = ref.kind
    const namespace = policy.metadata.namespace
    const workload = await api.readWorkload(kind, namespace, ref.name)
    const uid = workload.metadata?.uid
    if (uid === undefined || uid === '') throw new WorkloadError(`${kind} ${namespace}/${ref.name} has no uid: its pods cannot be told apart`)
    const labelSelector = selectorString(workload.spec?.selector)
    if (labelSelector === undefined) throw new WorkloadError(`${kind} ${namespace}/${ref.name} has an empty selector`)
    // Pods first: a ReplicaSet exists before its pods, so every pod listed has its ReplicaSet in the later list
    // (in parallel, a new ReplicaSet's first pods could be listed without it and go uncounted in maxUnavailable).
    const pods = await api.listPods(namespace, labelSelector)
    const replicaSets = kind === 'Deployment' ? await api.listReplicaSets(namespace, labelSelector) : []
    return ownedPods(kind, uid, pods, replicaSets).map(podInfo).filter((p): p is WorkloadPod => p !== undefined)
  }
}

/**
 * The kube-apiserver calls: get on the workload (deployments, statefulsets or replicasets), list pods, and for a
 * Deployment list replicasets (apps), each bounded by `timeoutMs`.
 */
export function kubeWorkloadApi(kc: KubeConfig, timeoutMs: number): WorkloadApi {
  const apps = kc.makeApiClient(AppsV1Api)
  const core = kc.makeApiClient(CoreV1Api)
  const opts = (): ReturnType<typeof withSignal> => withSignal(AbortSignal.timeout(timeoutMs))
  return {
    readWorkload: async (kind, namespace, name) => kind === 'StatefulSet'
      ? apps.readNamespacedStatefulSet({ name, namespace }, opts())
      : kind === 'ReplicaSet'
        ? apps.readNamespacedReplicaSet({ name, namespace }, opts())
        : apps.readNamespacedDeployment({ name, namespace }, opts()),
    listReplicaSets: async (namespace, labelSelector) => (await apps.listNamespacedReplicaSet({ namespace, labelSelector }, opts())).items,
    listPods: async (namespace, labelSelector) => (await core.listNamespacedPod({ namespace, labelSelector }, opts())).items,
  }
}

/** The pods of a policy's scale target, from kube-apiserver. */
export function kubeWorkloadPods(kc: KubeConfig, timeoutMs: number): WorkloadPodLister {
  return workloadPods(kubeWorkloadApi(kc, timeoutMs))
}
