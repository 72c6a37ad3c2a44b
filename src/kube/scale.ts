import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node'
import { withSignal } from './client.js'

/** What a scale read needs of a policy: its namespace and scale target. */
export interface ScaledWorkload {
  metadata: { namespace: string }
  spec: { scaleTargetRef: { kind: string; name: string } }
}

/** Current replicas of a policy's scale target (for the currentReplicas fallbacks); undefined when unreadable. */
export function scaleReader(kc: KubeConfig, timeoutMs: number): (p: ScaledWorkload) => Promise<number | undefined> {
  const apps = kc.makeApiClient(AppsV1Api)
  return async (p) => {
    const ref = p.spec.scaleTargetRef
    const args = { name: ref.name, namespace: p.metadata.namespace }
    const opts = withSignal(AbortSignal.timeout(timeoutMs))
    try {
      const scale = ref.kind === 'StatefulSet'
        ? await apps.readNamespacedStatefulSetScale(args, opts)
        : ref.kind === 'ReplicaSet'
          ? await apps.readNamespacedReplicaSetScale(args, opts)
          : await apps.readNamespacedDeploymentScale(args, opts)
      return scale.status?.replicas ?? scale.spec?.replicas
    } catch {
      return undefined
    }
  }
}
