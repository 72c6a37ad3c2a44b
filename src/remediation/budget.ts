import type { PolicyStatus } from '../policy/schema.js'

// The restart budget is counted from status.restartsInWindow, not from memory: a controller that dies
// mid-remediation, and the leader that follows it, read the same record. An entry is written BEFORE its
// eviction is sent, so a crash between the two leaves an entry without an eviction (the budget is spent for
// nothing) rather than an eviction without an entry (the budget silently exceeded).

export interface RestartEntry { pod: string; time: string }

const WINDOW_MS = 3_600_000

/** Most entries kept: the schema allows a budget of 100 per hour; anything beyond is noise from a bug. */
const MAX_ENTRIES = 200

function timeMs(e: RestartEntry): number {
  return Date.parse(e.time)
}

/**
 * Entries of the last hour, oldest first. Unparseable times are dropped; times in the future (another
 * writer's clock running ahead) are kept, since dropping them would hand back budget.
 */
export function pruneRecord(record: readonly RestartEntry[] | undefined, nowMs: number, windowMs: number = WINDOW_MS): RestartEntry[] {
  const kept = (record ?? []).filter((e) => Number.isFinite(timeMs(e)) && timeMs(e) > nowMs - windowMs)
  kept.sort((a, b) => timeMs(a) - timeMs(b))
  return kept.slice(-MAX_ENTRIES)
}

/** Restarts (attempted or done) in the rolling hour ending now. */
export function countInWindow(record: readonly RestartEntry[] | undefined, nowMs: number, windowMs: number = WINDOW_MS): number {
  return pruneRecord(record, nowMs, windowMs).length
}

/** The record with one more restart of `pod` at `nowMs`, pruned. */
export function appendRestart(record: readonly RestartEntry[] | undefined, pod: string, nowMs: number, windowMs: number = WINDOW_MS): RestartEntry[] {
  return [...pruneRecord(record, nowMs, windowMs), { pod, time: new Date(nowMs).toISOString() }]
}

/** Time of the latest entry, for `pod` when given; undefined when there is none. */
export function lastRestartMs(record: readonly RestartEntry[] | undefined, pod?: string): number | undefined {
  let last: number | undefined
  for (const e of record ?? []) {
    if (pod !== undefined && e.pod !== pod) continue
    const t = timeMs(e)
    if (Number.isFinite(t) && (last === undefined || t > last)) last = t
  }
  return last
}

/**
 * The workload cooldown keeps one restart from being followed by others it may have caused (its load moved to the
 * siblings). A pod that was an outlier already before the workload's last restart cannot be that restart's doing:
 * several pods failing together on one bad node go one after another, each still waiting for maxUnavailable, the
 * hourly budget and its own sustain time. Not a pod restarted itself since its streak began (a StatefulSet's pod
 * comes back under its name): that streak is the old pod's.
 */
export function inWorkloadCooldown(lastWorkloadMs: number | undefined, lastPodMs: number | undefined, outlierSinceMs: number | undefined, nowMs: number, cooldownSeconds: number): boolean {
  if (lastWorkloadMs === undefined || nowMs - lastWorkloadMs >= cooldownSeconds * 1000) return false
  if (outlierSinceMs === undefined || outlierSinceMs >= lastWorkloadMs) return true
  return lastPodMs !== undefined && lastPodMs >= outlierSinceMs
}

interface ReserveInput {
  pod: string
  nowMs: number
  maxRestartsPerHour: number
  podCooldownSeconds: number
  workloadCooldownSeconds: number
  /** Since when the pod has been an outlier, as decide saw it; absent for an alert. */
  outlierSinceMs?: number
}

export type ReserveResult =
  | { granted: true; status: PolicyStatus }
  | { granted: false; reason: 'BudgetExhausted' | 'PodCooldown' | 'WorkloadCooldown'; status: PolicyStatus }

/**
 * The write-ahead step, as a pure status update for updatePolicyStatus: re-checks budget and cooldowns against
 * the status just read (another leader may have restarted something since the decision) and appends the entry.
 * It may run several times on conflicts; each run sees a fresh status.
 */
export function reserveRestart(current: PolicyStatus, input: ReserveInput): ReserveResult {
  const record = pruneRecord(current.restartsInWindow, input.nowMs)
  if (record.length >= input.maxRestartsPerHour) return { granted: false, reason: 'BudgetExhausted', status: current }
  const lastPod = lastRestartMs(record, input.pod)
  if (lastPod !== undefined && input.nowMs - lastPod < input.podCooldownSeconds * 1000) return { granted: false, reason: 'PodCooldown', status: current }
  if (inWorkloadCooldown(lastActionMs(current), lastPod, input.outlierSinceMs, input.nowMs, input.workloadCooldownSeconds)) return { granted: false, reason: 'WorkloadCooldown', status: current }
  return {
    granted: true,
    status: {
      ...current,
      restartsInWindow: appendRestart(record, input.pod, input.nowMs),
      lastRemediation: { pod: input.pod, time: new Date(input.nowMs).toISOString(), action: 'EvictionRequested', reason: 'write-ahead record; eviction not yet confirmed' },
    },
  }
}

/** Latest restart of the workload, from the record or lastRemediation (which outlives the hour). */
export function lastActionMs(status: PolicyStatus): number | undefined {
  const fromRecord = lastRestartMs(status.restartsInWindow)
  const last = status.lastRemediation !== undefined && status.lastRemediation.action !== 'DryRun' ? Date.parse(status.lastRemediation.time) : NaN
  if (!Number.isFinite(last)) return fromRecord
  return fromRecord === undefined ? last : Math.max(fromRecord, last)
}

export type EvictionResultAction = 'Evicted' | 'EvictionBlocked' | 'EvictionFailed' | 'PodGone'

/**
 * After the eviction: records how it ended in lastRemediation. The restartsInWindow entry stays whatever the
 * outcome, so a failed or blocked attempt still counts against the budget (erring on the side of fewer restarts).
 */
export function recordOutcome(current: PolicyStatus, pod: string, action: EvictionResultAction, reason: string, nowMs: number): PolicyStatus {
  return { ...current, lastRemediation: { pod, time: new Date(nowMs).toISOString(), action, reason } }
}
