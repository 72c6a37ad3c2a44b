import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node'
import { z } from 'zod'
import { parseMilliValue } from '../api/quantity.js'
import { withSignal } from '../kube/client.js'
import { METRIC, POLICY_LABEL } from '../names.js'
import type { ScoreClass } from './decide.js'

// Per-pod anomaly scores are read through kube-apiserver from the adapter's external metrics API: the same
// data, the same authorization and the same availability as the HPA's, rather than a side channel into the
// adapter that would need its own auth and could disagree with what the HPA sees.


export interface PodScoreSample { pod: string; score: number; class: ScoreClass; reason: string; timeMs: number }

export interface PodScoreRead { samples: PodScoreSample[]; dropped: number }

export type PodScoreReader = (namespace: string, policy: string) => Promise<PodScoreRead>

const itemSchema = z.object({
  metricLabels: z.record(z.string(), z.string()).optional(),
  timestamp: z.string().optional(),
  value: z.string(),
})
const listSchema = z.object({ items: z.array(z.unknown()).nullable().optional() })
const CLASSES: ReadonlySet<string> = new Set<ScoreClass>(['error', 'latency', 'saturation', 'load'])

class PodScoreError extends Error {
  override name = 'PodScoreError'
}

/**
 * The samples of an ExternalMetricValueList. Items that are malformed, of an unknown class or of another policy
 * are dropped and counted rather than failing the whole read: one bad series must not hide the others.
 */
export function parseScoreList(body: unknown, policy: string, nowMs: number): PodScoreRead {
  const list = listSchema.safeParse(body)
  if (!list.success) throw new PodScoreError('not an ExternalMetricValueList')
  const samples: PodScoreSample[] = []
  let dropped = 0
  for (const raw of list.data.items ?? []) {
    const item = itemSchema.safeParse(raw)
    const labels = item.success ? item.data.metricLabels ?? {} : {}
    const pod = labels.pod
    const cls = labels.class
    if (!item.success || pod === undefined || pod === '' || cls === undefined || !CLASSES.has(cls) || labels[POLICY_LABEL] !== policy) {
      dropped++
      continue
    }
    let score: number
    try {
      score = Number(parseMilliValue(item.data.value)) / 1000
    } catch {
      dropped++
      continue
    }
    if (!Number.isFinite(score)) {
      dropped++
      continue
    }
    const ts = item.data.timestamp !== undefined ? Date.parse(item.data.timestamp) : NaN
    samples.push({
      pod,
      score: Math.min(1, Math.max(0, score)),
      class: cls as ScoreClass,
      reason: labels.reason ?? '',
      // A timestamp from the future (clock skew) would make a score look fresher than it is.
      timeMs: Number.isFinite(ts) ? Math.min(ts, nowMs) : nowMs,
    })
  }
  return { samples, dropped }
}

interface KubePodScoreOptions { timeoutMs: number; now?: () => number }

export function kubePodScoreReader(kc: KubeConfig, opts: KubePodScoreOptions): PodScoreReader {
  const api = kc.makeApiClient(CustomObjectsApi)
  const now = opts.now ?? Date.now
  return async (namespace, policy) => {
    // The generic list call builds exactly the external metrics route: /apis/<group>/<version>/namespaces/<ns>/<metric>.
    const body: unknown = await api.listNamespacedCustomObject(
      { group: 'external.metrics.k8s.io', version: 'v1beta1', namespace, plural: METRIC.podAnomalyScore, labelSelector: `${POLICY_LABEL}=${policy}` },
      withSignal(AbortSignal.timeout(opts.timeoutMs)),
    )
    return parseScoreList(body, policy, now())
  }
}
