import { apply, getJson } from './kube.js'
import { LOAD_QUERY } from '../steps/adapter.js'

// A kwok StatefulSet named web: its pods are web-0..web-3, the pod names of the backfilled per-pod series
// (test/helpers/prometheus.ts DEFAULT_PODS, web-2 the outlier), so the adapter's pod scores name real pods.

export const ERROR_QUERY = 'max by (pod) (http_requests_errors_ratio{namespace="default",service="web"})'

export interface Remediation {
  mode: 'DryRun' | 'Enforce'
  maxRestartsPerHour?: number
  podCooldownSeconds?: number
  workloadCooldownSeconds?: number
  sustainedSeconds?: number
}

export async function healWorkload(ns: string, remediation: Remediation, errorRatioQuery = ERROR_QUERY): Promise<void> {
  await apply(`apiVersion: v1
kind: Namespace
metadata: {name: ${ns}, labels: {foresight.dev/e2e: "true"}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 4
  serviceName: web
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: web, image: "foresight/e2e:never-pulled"}]
`)
  await apply(`apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: web, namespace: ${ns}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}
  load: {query: '${LOAD_QUERY}', capacityPerReplica: 1000000}
  minReplicas: 4
  maxReplicas: 8
  podSignals: {podLabel: pod, errorRatioQuery: '${errorRatioQuery}'}
  remediation:
    mode: ${remediation.mode}
    maxUnavailable: 1
    maxRestartsPerHour: ${remediation.maxRestartsPerHour ?? 3}
    podCooldownSeconds: ${remediation.podCooldownSeconds ?? 600}
    workloadCooldownSeconds: ${remediation.workloadCooldownSeconds ?? 600}
    minPodAgeSeconds: 0
    sustainedSeconds: ${remediation.sustainedSeconds ?? 2}
`)
}

/** Pod name -> uid of the workload's pods: a StatefulSet pod evicted and recreated keeps its name, not its uid. */
export async function podUids(ns: string): Promise<Record<string, string>> {
  const list = await getJson<{ items: Array<{ metadata: { name: string; uid: string; deletionTimestamp?: string } }> }>(['get', 'pods', '-n', ns, '-l', 'app=web'])
  return Object.fromEntries((list?.items ?? []).filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => [p.metadata.name, p.metadata.uid]))
}

export interface PolicyStatus {
  restartsInWindow?: Array<{ pod: string; time: string }>
  lastRemediation?: { pod: string; action: string; reason: string }
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>
}

export async function policyStatus(ns: string): Promise<PolicyStatus> {
  return (await getJson<{ status?: PolicyStatus }>(['get', 'foresightpolicy', 'web', '-n', ns]))?.status ?? {}
}

/** A one-replica Deployment `web` in `ns`: kwok runs its pods, whose image is never pulled. */
export function webDeployment(ns: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "foresight/e2e:never-pulled"}]
`
}

/** The replicas Deployment `web` in `ns` asks for and has ready (-1 asked when it cannot be read). */
export async function webReplicas(ns: string): Promise<{ spec: number; ready: number }> {
  const d = await getJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(['get', 'deployment', 'web', '-n', ns])
  return { spec: d?.spec.replicas ?? -1, ready: d?.status.readyReplicas ?? 0 }
}
