import { AppsV1Api, CoreV1Api, type KubeConfig, type V1LabelSelector, type V1Pod } from '@kubernetes/client-node'
import type { Policy } from '../policy/schema.js'
import { withSignal } from '../kube/client.js'
import type { PodInfo } from './decide.js'

export interface WorkloadPod extends PodInfo { uid?: string }

export type WorkloadPodLister = (policy: Policy) => Promise<WorkloadPod[]>

export class WorkloadError extends Error {
  override name = 'WorkloadError'
}

/** A LabelSelector in the query-string grammar; undefined for an empty one, which would select every pod. */
export function selectorString(sel: V1LabelSelector | undefined): string | undefined {
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

export function podInfo(p: V1Pod): WorkloadPod | undefined {
  const name = p.metadata?.name
  if (name === undefined) return undefined
  const created = p.metadata?.creationTimestamp
  const deleted = p.metadata?.deletionTimestamp
  return {
    name,
    ...(p.metadata?.uid !== undefined ? { uid: p.metadata.uid } : {}),
    // A pod without a creation time is treated as brand new: the minimum age rule then protects it.
    creationTimestamp: created !== undefined ? new Date(created) : new Date(),
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    phase: p.status?.phase ?? 'Unknown',
    ...(deleted !== undefined ? { deletionTimestamp: new Date(deleted) } : {}),
    ...(p.metadata?.ownerReferences?.[0]?.name !== undefined ? { owner: p.metadata.ownerReferences[0].name } : {}),
  }
}

/** The pods of a policy's scale target, found through the workload's own selector. */
export function kubeWorkloadPods(kc: KubeConfig, timeoutMs: number): WorkloadPodLister {
  const apps = kc.makeApiClient(AppsV1Api)
  const core = kc.makeApiClient(CoreV1Api)
  return async (policy) => {
    const ref = policy.spec.scaleTargetRef
    const namespace = policy.metadata.namespace
    const args = { name: ref.name, namespace }
    const opts = (): ReturnType<typeof withSignal> => withSignal(AbortSignal.timeout(timeoutMs))
    const workload = ref.kind === 'StatefulSet'
      ? await apps.readNamespacedStatefulSet(args, opts())
      : ref.kind === 'ReplicaSet'
        ? await apps.readNamespacedReplicaSet(args, opts())
        : await apps.readNamespacedDeployment(args, opts())
    const labelSelector = selectorString(workload.spec?.selector)
    if (labelSelector === undefined) throw new WorkloadError(`${ref.kind} ${namespace}/${ref.name} has an empty selector`)
    const list = await core.listNamespacedPod({ namespace, labelSelector }, opts())
    return list.items.map(podInfo).filter((p): p is WorkloadPod => p !== undefined)
  }
}
