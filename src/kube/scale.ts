import type { KubeClient } from './rest.js'

/** What a scale read needs of a policy: its namespace and scale target. */
export interface ScaledWorkload {
  metadata: { namespace: string }
  spec: { scaleTargetRef: { kind: string; name: string } }
}

const RESOURCE: Readonly<Record<string, string>> = { Deployment: 'deployments', StatefulSet: 'statefulsets', ReplicaSet: 'replicasets' }

interface Scale { spec?: { replicas?: number }; status?: { replicas?: number } }

/** Current replicas of a policy's scale target (for the currentReplicas fallbacks); undefined when unreadable. */
export function scaleReader(kube: KubeClient, timeoutMs: number): (p: ScaledWorkload) => Promise<number | undefined> {
  return async (p) => {
    const ref = p.spec.scaleTargetRef
    const resource = Object.hasOwn(RESOURCE, ref.kind) ? RESOURCE[ref.kind] : RESOURCE.Deployment
    const ns = encodeURIComponent(p.metadata.namespace)
    try {
      const scale = await kube.request<Scale>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${ns}/${resource}/${encodeURIComponent(ref.name)}/scale`,
        signal: AbortSignal.timeout(timeoutMs),
        what: `get ${resource}/scale ${p.metadata.namespace}/${ref.name}`,
      })
      return scale.status?.replicas ?? scale.spec?.replicas
    } catch {
      return undefined
    }
  }
}
