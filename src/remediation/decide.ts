import type { PolicySpec, PolicyStatus } from '../policy/schema.js'
import { countInWindow, inWorkloadCooldown, lastActionMs, lastRestartMs } from './budget.js'

// The remediation decision, pure: every input is a value (no clock, no I/O), so the rules can be read from the
// table tests. The controller and the Alertmanager receiver both come through here.

export type ScoreClass = 'error' | 'latency' | 'saturation' | 'load'

/**
 * Restarting a pod can cure what it broke itself (errors, latency); it cannot cure load or a full node. A policy
 * chooses among these (spec.remediation.classes): by default errors only, since a pod slowed by a noisy neighbour
 * looks like a leaking one for as long as the neighbour stays (bench:remediation measures both).
 */
const REMEDIABLE_CLASSES: ReadonlySet<ScoreClass> = new Set<ScoreClass>(['error', 'latency'])

export type SkipReason =
  | 'NotOutlier' | 'NotSustained' | 'MostPodsFailing' | 'TooYoung' | 'PodCooldown' | 'WorkloadCooldown'
  | 'BudgetExhausted' | 'MaxUnavailable' | 'ModeOff' | 'DryRun' | 'ClassNotRemediable' | 'Terminating' | 'Blocked' | 'RolloutInProgress'

export interface PodInfo {
  name: string
  creationTimestamp: Date
  ready: boolean
  phase: string
  /** When the pod will be gone at the latest: the apiserver sets it to the delete request's time plus the grace period. */
  deletionTimestamp?: Date
  /** The grace period of that delete (metadata.deletionGracePeriodSeconds). */
  deletionGracePeriodSeconds?: number
  owner?: string
}

export interface ScoreObservation { timeMs: number; score: number; class: ScoreClass }

export type Remediation = PolicySpec['remediation']

export interface DecideInput {
  remediation: Remediation
  pods: readonly PodInfo[]
  /** Observations per pod, oldest first. */
  history: ReadonlyMap<string, readonly ScoreObservation[]>
  /** The durable record: restartsInWindow and lastRemediation. */
  status: Pick<PolicyStatus, 'restartsInWindow' | 'lastRemediation'>
  /** Pods whose eviction this controller sent and the pod list does not show yet. */
  inFlight?: ReadonlySet<string>
  /** Pods whose last eviction was refused (PDB, rate limit) and are backing off until the given time. */
  blockedUntilMs?: ReadonlyMap<string, number>
  /** Pods a firing alert names: a sustained error-class outlier, still subject to every other rule. */
  alerted?: ReadonlySet<string>
  nowMs: number
  /** Score from which a pod is an outlier. */
  threshold?: number
  /** An observation older than this no longer says anything about the pod; a gap this long breaks a streak. */
  staleAfterMs?: number
  /** Longest dip of the score below threshold that does not break a streak. */
  dipToleranceMs?: number
}

export interface Decision {
  pod: string
  action: 'restart' | 'skip'
  /** For a restart: SustainedOutlier or Alert; for a skip: why. */
  reason: SkipReason | 'SustainedOutlier' | 'Alert'
  message: string
  /** A restart in DryRun mode: reported, never executed. */
  dryRun: boolean
  score?: number
  class?: ScoreClass
  /** For a restart: since when the pod has been an outlier (the start of its streak). */
  outlierSinceMs?: number
}

export const DEFAULT_THRESHOLD = 0.8
export const DEFAULT_STALE_AFTER_MS = 60_000
/**
 * No dip: a streak breaks at the first score under threshold. Forgiving one minute (the adapter scores a minute of
 * data at a time) caught a weak bad node's pods whose score hovers at the threshold, but also kept the streaks of a
 * load spike's hottest pods, whose timeouts come and go (bench:remediation --part tuning --grid: 1 -> 12 healthy-pod
 * restarts in 1,126 pod-days, for one more sick pod of 71).
 */
export const DEFAULT_DIP_TOLERANCE_MS = 0
/** At this share of the workload's pods anomalous together, a shared dependency is the likelier cause. */
const MOST_PODS_SHARE = 0.5

interface Streak { outlier: boolean; startMs: number; score: number; class: ScoreClass | undefined; stale?: boolean }

/**
 * The pod's current outlier streak: since when its score has stayed at or above threshold, with no gap in the
 * observations and no dip below threshold longer than dipToleranceMs. A pod failing a few points more than its
 * siblings scores around the threshold: one minute of data under it is noise, not a recovery, and would otherwise
 * start the sustain time over again. A dip counts towards the streak; the streak ends above threshold.
 */
function streakOf(obs: readonly ScoreObservation[], nowMs: number, threshold: number, staleAfterMs: number, dipToleranceMs: number, remediableClasses: ReadonlySet<ScoreClass>): Streak {
  const last = obs[obs.length - 1]
  if (last === undefined || nowMs - last.timeMs > staleAfterMs) return { outlier: false, startMs: nowMs, score: 0, class: undefined, stale: true }
  if (last.score < threshold) return { outlier: false, startMs: nowMs, score: last.score, class: last.class }
  let startMs = last.timeMs
  let remediable = remediableClasses.has(last.class)
  /** The observation above threshold that ended the dip being walked through, if any. */
  let dipEndMs: number | undefined
  for (let i = obs.length - 2; i >= 0; i--) {
    const o = obs[i]
    const next = obs[i + 1]
    if (o === undefined || next === undefined) break
    if (next.timeMs - o.timeMs > staleAfterMs) break
    if (o.score < threshold) {
      dipEndMs ??= next.timeMs
      // The dip so far: from this observation to the one above threshold after it.
      if (dipEndMs - o.timeMs > dipToleranceMs) break
      continue
    }
    // A streak that changed class (saturation turning into errors) counts from when it became remediable.
    if (remediableClasses.has(o.class) !== remediable) break
    // The dip, if any, was short enough: the streak runs on through it.
    dipEndMs = undefined
    remediable = remediableClasses.has(o.class)
    startMs = o.timeMs
  }
  return { outlier: true, startMs, score: last.score, class: last.class }
}

function isTerminating(p: PodInfo): boolean {
  return p.deletionTimestamp !== undefined
}

/** Terminating, not ready, not running, or evicted and not yet shown terminating: counts against maxUnavailable. */
export function isDisrupted(p: PodInfo, inFlight: ReadonlySet<string>): boolean {
  return isTerminating(p) || !p.ready || p.phase !== 'Running' || inFlight.has(p.name)
}

/**
 * When the pod's deletion was asked for: its deletionTimestamp less the grace period. Without the grace period, the
 * deletionTimestamp itself, the later time, so that a replacement stands in for it only when it surely came after.
 */
function deletionRequestedMs(p: PodInfo): number {
  return (p.deletionTimestamp?.getTime() ?? Infinity) - (p.deletionGracePeriodSeconds ?? 0) * 1000
}

/**
 * The pods that count against maxUnavailable when the pods in `down` are also out (evictions in flight, restarts
 * granted in this round, the candidate). A terminating pod counts until a Ready pod of the same owner, created after
 * its deletion was asked for and not itself in `down`, stands in for it, as a PodDisruptionBudget counts ready pods
 * against the desired count. A StatefulSet's pod has no replacement until it is gone, so it counts to the end; so
 * does a pod whose owner is not known.
 */
export function countDisrupted(pods: readonly PodInfo[], down: ReadonlySet<string>): number {
  let n = 0
  const replacements = new Map<string, number[]>()
  for (const p of pods) {
    if (isTerminating(p)) continue
    if (isDisrupted(p, down)) n++
    else if (p.owner !== undefined) replacements.set(p.owner, [...(replacements.get(p.owner) ?? []), p.creationTimestamp.getTime()])
  }
  for (const created of replacements.values()) created.sort((a, b) => a - b)
  const terminating = pods.filter(isTerminating).sort((a, b) => deletionRequestedMs(a) - deletionRequestedMs(b))
  for (const p of terminating) {
    const ready = p.owner !== undefined ? replacements.get(p.owner) : undefined
    const requestedMs = deletionRequestedMs(p)
    // Each ready pod stands in for one terminating pod at most: the oldest ready pod that came after its deletion.
    const i = ready?.findIndex((createdMs) => createdMs >= requestedMs) ?? -1
    if (i >= 0) ready?.splice(i, 1)
    else n++
  }
  return n
}

/**
 * One decision per pod. Candidates are taken worst first; each restart chosen counts against maxUnavailable,
 * the hourly budget and the workload cooldown of the ones after it, so a round restarts one pod unless
 * maxUnavailable leaves room for more: then the pods that were outliers together all go in this round, within
 * the hourly budget, and one whose streak began only now waits for the cooldown (inWorkloadCooldown).
 */
export function decide(input: DecideInput): Decision[] {
  const r = input.remediation
  const threshold = input.threshold ?? DEFAULT_THRESHOLD
  const staleAfterMs = input.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
  const dipToleranceMs = input.dipToleranceMs ?? DEFAULT_DIP_TOLERANCE_MS
  const inFlight = input.inFlight ?? new Set<string>()
  const alerted = input.alerted ?? new Set<string>()
  const now = input.nowMs
  const skip = (pod: string, reason: SkipReason, message: string, s?: Streak): Decision => ({
    pod, action: 'skip', reason, message, dryRun: false, ...(s !== undefined ? { score: s.score, ...(s.class !== undefined ? { class: s.class } : {}) } : {}),
  })

  const pods = [...input.pods].sort((a, b) => a.name.localeCompare(b.name))
  if (r.mode === 'Off') return pods.map((p) => skip(p.name, 'ModeOff', 'remediation is off for this policy'))
  const remediable: ReadonlySet<ScoreClass> = new Set<ScoreClass>(r.classes)

  const streaks = new Map<string, Streak>()
  for (const p of pods) {
    const s = alerted.has(p.name)
      ? { outlier: true, startMs: Number.NEGATIVE_INFINITY, score: 1, class: 'error' as const }
      : streakOf(input.history.get(p.name) ?? [], now, threshold, staleAfterMs, dipToleranceMs, remediable)
    streaks.set(p.name, s)
  }
  const live = pods.filter((p) => !isTerminating(p))
  const anomalous = live.filter((p) => streaks.get(p.name)?.outlier === true).length
  const mostFailing = live.length > 0 && anomalous / live.length >= MOST_PODS_SHARE
  // Pods of two ReplicaSets at once: a rollout is replacing them. A new revision that fails fails in every new pod
  // (a restart brings up the same revision), and the old pods are on their way out anyway.
  const owners = new Set(live.flatMap((p) => (p.owner !== undefined ? [p.owner] : [])))

  const decisions = new Map<string, Decision>()
  const candidates: PodInfo[] = []
  for (const p of pods) {
    const s = streaks.get(p.name) ?? { outlier: false, startMs: now, score: 0, class: undefined }
    const sustainedMs = now - s.startMs
    const ageMs = now - p.creationTimestamp.getTime()
    const lastPod = lastRestartMs(input.status.restartsInWindow, p.name)
    const blocked = input.blockedUntilMs?.get(p.name)
    let d: Decision | undefined
    if (isTerminating(p)) d = skip(p.name, 'Terminating', 'the pod is already terminating', s)
    else if (!s.outlier) d = skip(p.name, 'NotOutlier', s.stale === true ? `no score in the last ${Math.round(staleAfterMs / 1000)}s` : `score ${s.score.toFixed(2)} below ${threshold}`, s)
    else if (mostFailing) d = skip(p.name, 'MostPodsFailing', `${anomalous} of ${live.length} pods are anomalous together: a shared dependency is the likelier cause`, s)
    else if (s.class === undefined || !remediable.has(s.class)) d = skip(p.name, 'ClassNotRemediable', `a restart does not cure ${s.class ?? 'an unknown'} anomalies${s.class !== undefined && REMEDIABLE_CLASSES.has(s.class) ? ' under this policy (remediation.classes)' : ''}`, s)
    else if (owners.size > 1) d = skip(p.name, 'RolloutInProgress', `pods of ${owners.size} ReplicaSets: a rollout is in progress`, s)
    else if (sustainedMs < r.sustainedSeconds * 1000) d = skip(p.name, 'NotSustained', `outlier for ${Math.round(sustainedMs / 1000)}s of ${r.sustainedSeconds}s`, s)
    else if (ageMs < r.minPodAgeSeconds * 1000) d = skip(p.name, 'TooYoung', `pod is ${Math.round(ageMs / 1000)}s old, under ${r.minPodAgeSeconds}s`, s)
    else if (lastPod !== undefined && now - lastPod < r.podCooldownSeconds * 1000) d = skip(p.name, 'PodCooldown', `restarted ${Math.round((now - lastPod) / 1000)}s ago, cooldown ${r.podCooldownSeconds}s`, s)
    else if (blocked !== undefined && blocked > now) d = skip(p.name, 'Blocked', `eviction refused earlier; retrying in ${Math.ceil((blocked - now) / 1000)}s`, s)
    if (d !== undefined) decisions.set(p.name, d)
    else candidates.push(p)
  }

  // Worst first; ties by name so a round is reproducible.
  candidates.sort((a, b) => (streaks.get(b.name)?.score ?? 0) - (streaks.get(a.name)?.score ?? 0) || a.name.localeCompare(b.name))
  let budgetUsed = countInWindow(input.status.restartsInWindow, now)
  let lastWorkload = lastActionMs({ ...input.status })
  // Pods out once this round's restarts so far are done: evictions in flight and the restarts granted above.
  const down = new Set(inFlight)
  for (const p of candidates) {
    const s = streaks.get(p.name) ?? { outlier: true, startMs: now, score: 0, class: undefined }
    let d: Decision
    // An alert does not say since when the pod has failed: it waits for the cooldown like a new outlier.
    if (inWorkloadCooldown(lastWorkload, lastRestartMs(input.status.restartsInWindow, p.name), alerted.has(p.name) ? undefined : s.startMs, now, r.workloadCooldownSeconds)) {
      d = skip(p.name, 'WorkloadCooldown', `the workload restarted a pod ${Math.round((now - (lastWorkload ?? now)) / 1000)}s ago, cooldown ${r.workloadCooldownSeconds}s`, s)
    } else if (budgetUsed >= r.maxRestartsPerHour) {
      d = skip(p.name, 'BudgetExhausted', `${budgetUsed} restarts in the last hour, budget ${r.maxRestartsPerHour}`, s)
    } else if (countDisrupted(pods, new Set([...down, p.name])) > r.maxUnavailable) {
      // Counted with the pod out: one already unready costs no extra availability (as with a PDB), and one that
      // stands in for a terminating pod would leave that pod counting again.
      d = skip(p.name, 'MaxUnavailable', `${countDisrupted(pods, down)} pods already restarting or not ready, maxUnavailable ${r.maxUnavailable}`, s)
    } else {
      const viaAlert = alerted.has(p.name)
      d = {
        pod: p.name,
        action: 'restart',
        reason: viaAlert ? 'Alert' : 'SustainedOutlier',
        message: viaAlert ? 'a firing alert names this pod' : `${s.class ?? 'error'} outlier (score ${s.score.toFixed(2)}) for ${Math.round((now - s.startMs) / 1000)}s`,
        dryRun: r.mode === 'DryRun',
        score: s.score,
        ...(s.class !== undefined ? { class: s.class } : {}),
        ...(Number.isFinite(s.startMs) ? { outlierSinceMs: s.startMs } : {}),
      }
      budgetUsed++
      down.add(p.name)
      lastWorkload = now
    }
    decisions.set(p.name, d)
  }
  return pods.map((p) => decisions.get(p.name)).filter((d): d is Decision => d !== undefined)
}
