// What to serve when a refresh fails. Never a value computed from bad data: the last good value while it is
// fresh, then the policy's fallback once failures have lasted long enough.

import type { ResultReason } from '../names.js'

/** The reasons of a result served from the failure path: the policy's data is not available now. */
export const FAILURE_REASONS: ReadonlySet<ResultReason> = new Set<ResultReason>(['StaleValue', 'Fallback', 'NoData'])

export interface FallbackSpec {
  failureThreshold: number
  behavior: 'static' | 'currentReplicas' | 'currentReplicasIfHigher'
  replicas?: number
}

/** The last good value, with when its data was sampled and when the refresh that computed it ran. */
export interface LastGood {
  replicas: number
  dataTimeMs: number
  /**
   * Staleness counts from here, not from the data time: the data time is step-aligned and can already be steps old
   * at a good refresh (a tail of missing scrapes is carried forward), which would skip StaleValue altogether.
   */
  refreshedAtMs: number
}

export interface FailureInputs {
  consecutiveFailures: number
  lastGood?: LastGood
  nowMs: number
  maxStalenessSeconds: number
  /** The scale target's current replicas, when known. */
  currentReplicas?: number
  fallback: FallbackSpec
}

type FailureDecision =
  | { kind: 'serve'; replicas: number; reason: 'StaleValue' | 'Fallback' }
  | { kind: 'none'; reason: 'NoData' }

export function onFailure(i: FailureInputs): FailureDecision {
  const lastGood = i.lastGood
  const fresh = lastGood !== undefined && i.nowMs - lastGood.refreshedAtMs <= i.maxStalenessSeconds * 1000
  if (fresh && i.consecutiveFailures < i.fallback.failureThreshold) return { kind: 'serve', replicas: lastGood.replicas, reason: 'StaleValue' }
  const f = i.fallback
  const current = i.currentReplicas
  switch (f.behavior) {
    case 'static':
      if (f.replicas !== undefined) return { kind: 'serve', replicas: f.replicas, reason: 'Fallback' }
      break
    case 'currentReplicas':
      if (current !== undefined) return { kind: 'serve', replicas: current, reason: 'Fallback' }
      break
    case 'currentReplicasIfHigher':
      if (current !== undefined) return { kind: 'serve', replicas: Math.max(current, f.replicas ?? 0), reason: 'Fallback' }
      if (f.replicas !== undefined) return { kind: 'serve', replicas: f.replicas, reason: 'Fallback' }
      break
  }
  // A fallback that cannot be computed (current replicas unknown): the last good value while it is fresh, else
  // nothing, which the HPA treats as a metric error and so never scales down on.
  if (fresh) return { kind: 'serve', replicas: lastGood.replicas, reason: 'StaleValue' }
  return { kind: 'none', reason: 'NoData' }
}

/** What a failure decision serves, for the message a policy's status and explain show. */
export function servedText(d: FailureDecision): string {
  if (d.kind === 'none') return 'nothing safe to serve'
  return d.reason === 'Fallback' ? 'serving the fallback' : 'serving the last good value'
}
