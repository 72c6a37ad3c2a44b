import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node'
import { withSignal } from '../kube/client.js'
import { GROUP, PLURAL, VERSION, remediationSchema } from '../policy/schema.js'
import { kubeStatusClient, type PolicyRef, type StatusClient } from '../policy/status.js'
import type { Remediation } from './decide.js'

// The controller's read of a policy: the status subresource's GET answers with the whole object, so the same
// read that brings the restart record also brings the spec as it is now, not as the (possibly failing) watch
// last delivered it. Mode and budgets are re-checked against it before anything is written or evicted.

/** A StatusClient whose reads also carry the object's spec. */
export interface PolicyRecordClient extends StatusClient {
  get(ref: PolicyRef, signal: AbortSignal): Promise<{ resourceVersion: string; status: unknown; spec?: unknown }>
}

export function kubePolicyRecordClient(kc: KubeConfig): PolicyRecordClient {
  const api = kc.makeApiClient(CustomObjectsApi)
  const status = kubeStatusClient(kc)
  return {
    async get(ref, signal) {
      const obj = (await api.getNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, plural: PLURAL, ...ref }, withSignal(signal))) as { metadata?: { resourceVersion?: string }; spec?: unknown; status?: unknown }
      return { resourceVersion: obj.metadata?.resourceVersion ?? '', status: obj.status, spec: obj.spec }
    },
    patch: (ref, body, signal) => status.patch(ref, body, signal),
  }
}

/** spec.remediation of a freshly read spec, defaults applied; undefined when there is no spec or it does not parse. */
export function freshRemediation(spec: unknown): Remediation | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined
  const parsed = remediationSchema.safeParse((spec as { remediation?: unknown }).remediation ?? {})
  return parsed.success ? parsed.data : undefined
}

const MODE_RANK: Record<Remediation['mode'], number> = { Off: 0, DryRun: 1, Enforce: 2 }

/**
 * The stricter of two readings of a policy's remediation settings: the lower mode (Off < DryRun < Enforce), the
 * lower budgets, the longer waits. The cached spec can be stale in either direction; neither may loosen the other.
 */
export function stricter(a: Remediation, b: Remediation): Remediation {
  return {
    ...a,
    mode: MODE_RANK[b.mode] < MODE_RANK[a.mode] ? b.mode : a.mode,
    maxUnavailable: Math.min(a.maxUnavailable, b.maxUnavailable),
    maxRestartsPerHour: Math.min(a.maxRestartsPerHour, b.maxRestartsPerHour),
    podCooldownSeconds: Math.max(a.podCooldownSeconds, b.podCooldownSeconds),
    workloadCooldownSeconds: Math.max(a.workloadCooldownSeconds, b.workloadCooldownSeconds),
    minPodAgeSeconds: Math.max(a.minPodAgeSeconds, b.minPodAgeSeconds),
    sustainedSeconds: Math.max(a.sustainedSeconds, b.sustainedSeconds),
  }
}
