import type { Logger } from 'pino'
import type { EventRecorder, ObjectRef } from '../kube/events.js'
import { policyKey, policyStatusSchema, type Policy, type PolicyStatus } from '../policy/schema.js'
import { setCondition, updatePolicyStatus, type PolicyRef, type StatusClient } from '../policy/status.js'
import { appendRestart, recordOutcome, reserveRestart, type EvictionResultAction, type ReserveResult } from './budget.js'
import { countDisrupted, decide, type Decision, type Remediation, type SkipReason } from './decide.js'
import type { Evictor } from './evict.js'
import { ScoreHistory } from './history.js'
import type { RemediationMetrics } from './metrics.js'
import type { PodScoreReader } from './pod-scores.js'
import { freshRemediation, stricter } from './policy-record.js'
import type { WorkloadPod, WorkloadPodLister } from './workload-pods.js'

// One remediation round for one policy: pods -> scores -> decide -> record (write-ahead) -> evict -> report.
// Rounds are serialized (the timer's and the Alertmanager receiver's), so two never decide on the same record.
// The policy comes from the watch cache, which can be stale (a failing watch keeps serving the last good set):
// in Enforce mode both the status read that starts the round and the write-ahead read before each eviction
// bring the spec as it is now, and the stricter of the two readings applies (Off or a lower budget wins).

const CONDITION_TYPE = 'Remediation'

interface RemediatorDeps {
  log: Logger
  listPods: WorkloadPodLister
  readScores: PodScoreReader
  /** Reads bring the spec too: without one (or with one that does not parse), nothing is evicted. */
  status: StatusClient
  evictor: Evictor
  events: EventRecorder
  metrics: RemediationMetrics
  /** Re-checked right before every write and eviction: only the leader acts. */
  isLeader: () => boolean
  /** Time left before leadership lapses unless renewed (undefined: no election); bounds the eviction call. */
  leadershipLeftMs?: () => number | undefined
  threshold: number
  staleAfterMs: number
  /** Longest dip under threshold that does not break a streak; decide's default when absent. */
  dipToleranceMs?: number
  requestTimeoutMs: number
  /** How long a firing alert keeps asking for its pod's restart. */
  alertTtlMs: number
  now?: () => number
}

export type PodOutcome = 'Evicted' | 'WouldRestart' | 'PodGone' | 'EvictionBlocked' | 'EvictionFailed' | 'RecordFailed' | 'NotLeader' | 'PolicyUnreadable' | SkipReason

export interface RoundResult {
  policy: string
  mode: Policy['spec']['remediation']['mode']
  decisions: Decision[]
  /** What happened to each pod the round decided to restart, and to pods refused at the write-ahead step. */
  outcomes: Map<string, PodOutcome>
  error?: string
}

/** An eviction the pod list does not reflect yet still counts as a pod being restarted, for this long at most. */
const IN_FLIGHT_MS = 120_000

/** Outcomes after which the pod may be down (evicted, gone, or an eviction whose fate is unknown): counted as disrupted. */
const RESERVED: ReadonlySet<PodOutcome> = new Set<PodOutcome>(['Evicted', 'EvictionFailed', 'PodGone'])

/** Skips worth an Event: a healthy pod being healthy is not news. */
const QUIET_SKIPS: ReadonlySet<string> = new Set(['NotOutlier', 'ModeOff'])

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error'
}

export class Remediator {
  private readonly history = new ScoreHistory()
  /** DryRun's own restart record, in memory: it must not spend the real budget, yet should behave as Enforce would. */
  private readonly dryRunStatus = new Map<string, PolicyStatus>()
  private readonly inFlight = new Map<string, Map<string, number>>()
  /** policy -> pod -> alert (fingerprint) -> expiry: a pod is signalled while any of its alerts is. */
  private readonly alerts = new Map<string, Map<string, Map<string, number>>>()
  private queue: Promise<unknown> = Promise.resolve()
  private readonly now: () => number

  constructor(private readonly deps: RemediatorDeps) {
    this.now = deps.now ?? Date.now
  }

  /** Runs `fn` after every round queued before it. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Waits for the queued rounds. */
  async idle(): Promise<void> {
    await this.queue
  }

  signalAlert(policy: string, pod: string, alert: string): void {
    const m = this.alerts.get(policy) ?? new Map<string, Map<string, number>>()
    const byAlert = m.get(pod) ?? new Map<string, number>()
    byAlert.set(alert, this.now() + this.deps.alertTtlMs)
    m.set(pod, byAlert)
    this.alerts.set(policy, m)
  }

  /** Without `alert`, every signal of the pod (it was restarted or is gone); with it, that alert's only. */
  clearAlert(policy: string, pod: string, alert?: string): void {
    const m = this.alerts.get(policy)
    if (alert === undefined) {
      m?.delete(pod)
      return
    }
    const byAlert = m?.get(pod)
    byAlert?.delete(alert)
    if (byAlert?.size === 0) m?.delete(pod)
  }

  /** Forget the state of policies that are gone. */
  retain(keys: ReadonlySet<string>): void {
    this.history.retain(keys)
    for (const m of [this.dryRunStatus, this.inFlight, this.alerts]) for (const k of m.keys()) if (!keys.has(k)) m.delete(k)
  }

  async reconcile(policy: Policy): Promise<RoundResult> {
    const key = policyKey(policy)
    let r = policy.spec.remediation
    const result: RoundResult = { policy: key, mode: r.mode, decisions: [], outcomes: new Map() }
    if (r.mode === 'Off') return result
    const ref: PolicyRef = { namespace: policy.metadata.namespace, name: policy.metadata.name }
    const log = this.deps.log.child({ policy: key })
    const now = this.now()

    let pods: WorkloadPod[]
    try {
      pods = await this.deps.listPods(policy)
    } catch (err) {
      this.deps.metrics.errors.inc({ stage: 'pods' })
      log.warn({ err: firstLine(err) }, 'cannot list the workload\'s pods')
      await this.writeCondition(policy, 'False', 'PodsUnavailable', `cannot list the pods of ${policy.spec.scaleTargetRef.kind} ${policy.spec.scaleTargetRef.name}`)
      return { ...result, error: 'PodsUnavailable' }
    }
    // Without spec.podSignals the adapter computes no per-pod scores (asking would only return 404 every round):
    // such a policy restarts pods for Alertmanager alerts only.
    if (policy.spec.podSignals !== undefined) {
      try {
        const read = await this.deps.readScores(ref.namespace, ref.name)
        if (read.dropped > 0) log.warn({ dropped: read.dropped }, 'pod score items dropped as malformed')
        this.history.record(key, read.samples, now, (r.sustainedSeconds * 1000) + 2 * this.deps.staleAfterMs)
      } catch (err) {
        // No fresh scores: the old ones go stale and stop counting; alerts still apply.
        this.deps.metrics.errors.inc({ stage: 'scores' })
        log.warn({ err: firstLine(err) }, 'cannot read pod anomaly scores')
      }
    }

    let status: PolicyStatus = {}
    if (r.mode === 'Enforce') {
      let got: Awaited<ReturnType<StatusClient['get']>>
      try {
        got = await this.deps.status.get(ref, AbortSignal.timeout(this.deps.requestTimeoutMs))
      } catch (err) {
        this.deps.metrics.errors.inc({ stage: 'status' })
        log.warn({ err: firstLine(err) }, 'cannot read the policy status: nothing is restarted without the restart record')
        return { ...result, error: 'StatusUnavailable' }
      }
      const fresh = freshRemediation(got.spec)
      if (fresh === undefined) {
        this.deps.metrics.errors.inc({ stage: 'status' })
        log.warn('the policy read back has no readable spec.remediation: nothing is restarted')
        return { ...result, error: 'PolicyUnreadable' }
      }
      r = stricter(r, fresh)
      result.mode = r.mode
      if (r.mode === 'Off') {
        // Switched off since the watch last said: every pod is skipped, nothing is written.
        result.decisions = decide({ remediation: r, pods, history: new Map(), status: {}, nowMs: now })
        return result
      }
      const parsed = policyStatusSchema.safeParse(got.status ?? {})
      status = parsed.success ? parsed.data : {}
    }
    // DryRun keeps its own record (also when a fresh read just turned an Enforce policy into DryRun).
    if (r.mode === 'DryRun') status = this.dryRunStatus.get(key) ?? {}

    const inFlight = this.pruneInFlight(key, pods, now)
    const alerted = this.liveAlerts(key, pods, now)
    const decisions = decide({
      remediation: r,
      pods,
      history: this.history.get(key),
      status,
      inFlight,
      blockedUntilMs: this.deps.evictor.blockedUntil(ref.namespace),
      alerted,
      nowMs: now,
      threshold: this.deps.threshold,
      staleAfterMs: this.deps.staleAfterMs,
      ...(this.deps.dipToleranceMs !== undefined ? { dipToleranceMs: this.deps.dipToleranceMs } : {}),
    })
    result.decisions = decisions
    const byName = new Map(pods.map((p) => [p.name, p]))
    // Pods out as decide counted them: evictions in flight, and each restart granted below.
    const down = new Set(inFlight)
    for (const d of decisions) {
      const pod = byName.get(d.pod)
      if (pod === undefined) continue
      if (d.action === 'skip') {
        this.deps.metrics.skips.inc({ reason: d.reason })
        if (!QUIET_SKIPS.has(d.reason)) await this.report(policy, pod, d.reason, 'Skip', `not restarted: ${d.message}`, 'Normal')
        continue
      }
      if (d.dryRun) {
        const next = appendRestart(this.dryRunStatus.get(key)?.restartsInWindow, d.pod, now)
        // Recorded as Evicted in the simulated record so DryRun's cooldowns behave as Enforce's would.
        this.dryRunStatus.set(key, { restartsInWindow: next, lastRemediation: { pod: d.pod, time: new Date(now).toISOString(), action: 'Evicted', reason: d.message } })
        this.deps.metrics.restarts.inc({ namespace: ref.namespace, policy: ref.name, mode: 'DryRun' })
        this.deps.metrics.skips.inc({ reason: 'DryRun' })
        result.outcomes.set(d.pod, 'WouldRestart')
        log.info({ pod: d.pod, reason: d.reason, why: d.message }, 'would restart pod (DryRun)')
        await this.report(policy, pod, 'DryRun', 'Skip', `would restart (mode DryRun): ${d.message}`, 'Normal')
        continue
      }
      const outcome = await this.enforce(policy, r, pod, d, now, countDisrupted(pods, new Set([...down, pod.name])))
      result.outcomes.set(d.pod, outcome)
      if (RESERVED.has(outcome)) down.add(pod.name)
    }
    await this.summarize(policy, result, now)
    return result
  }

  /**
   * `r`: the settings the round decided with; `disruptedWith`: the pods that count against maxUnavailable with this
   * one out, restarts granted earlier in this round included.
   */
  private async enforce(policy: Policy, r: Remediation, pod: WorkloadPod, d: Decision, now: number, disruptedWith: number): Promise<PodOutcome> {
    const ref: PolicyRef = { namespace: policy.metadata.namespace, name: policy.metadata.name }
    const key = policyKey(policy)
    const log = this.deps.log.child({ policy: key, pod: pod.name })
    if (!this.deps.isLeader()) return 'NotLeader'
    // Write-ahead: the restart is on the durable record before the eviction leaves, so neither a crash here nor
    // a new leader can take the policy past its budget. The check is redone against the fresh record, and the
    // mode and budgets against the spec that same read brought (a policy switched Off, or given a lower budget,
    // since the watch last delivered it).
    const box: { reserved?: ReserveResult; refused?: PodOutcome } = {}
    try {
      await updatePolicyStatus(this.deps.status, ref, (cur, spec) => {
        box.reserved = undefined
        box.refused = undefined
        const fresh = freshRemediation(spec)
        const eff = fresh !== undefined ? stricter(r, fresh) : undefined
        if (eff === undefined) box.refused = 'PolicyUnreadable'
        else if (eff.mode !== 'Enforce') box.refused = eff.mode === 'Off' ? 'ModeOff' : 'DryRun'
        else if (disruptedWith > eff.maxUnavailable) box.refused = 'MaxUnavailable'
        if (eff === undefined || box.refused !== undefined) return cur
        box.reserved = reserveRestart(cur, { pod: pod.name, nowMs: now, maxRestartsPerHour: eff.maxRestartsPerHour, podCooldownSeconds: eff.podCooldownSeconds, workloadCooldownSeconds: eff.workloadCooldownSeconds, ...(d.outlierSinceMs !== undefined ? { outlierSinceMs: d.outlierSinceMs } : {}) })
        return box.reserved.status
      }, { timeoutMs: this.deps.requestTimeoutMs })
    } catch (err) {
      this.deps.metrics.errors.inc({ stage: 'record' })
      log.error({ err: firstLine(err) }, 'cannot record the restart: not evicting')
      return 'RecordFailed'
    }
    if (box.refused !== undefined) {
      const why = box.refused
      if (why === 'PolicyUnreadable') this.deps.metrics.errors.inc({ stage: 'record' })
      else this.deps.metrics.skips.inc({ reason: why })
      log.info({ reason: why }, 'not restarted: the policy as read now does not allow it')
      await this.report(policy, pod, why, 'Skip', `not restarted: ${why} on the policy as read now`, 'Normal')
      return why
    }
    const reserved = box.reserved
    if (reserved === undefined) return 'RecordFailed'
    if (!reserved.granted) {
      this.deps.metrics.skips.inc({ reason: reserved.reason })
      await this.report(policy, pod, reserved.reason, 'Skip', `not restarted: ${reserved.reason} on the durable record`, 'Normal')
      return reserved.reason
    }
    // Leadership may have moved during the write; the spent budget is the safe side of that race.
    if (!this.deps.isLeader()) return 'NotLeader'

    const leftMs = this.deps.leadershipLeftMs?.()
    const res = await this.deps.evictor.evict({ namespace: ref.namespace, pod: pod.name, ...(pod.uid !== undefined ? { uid: pod.uid } : {}), dryRun: false, ...(leftMs !== undefined ? { timeoutMs: leftMs } : {}) })
    let action: EvictionResultAction
    let note: string
    switch (res.outcome) {
      case 'evicted':
      case 'dry-run': // not asked for here; listed so every outcome is handled
        action = 'Evicted'
        note = `restarted (evicted): ${d.message}`
        this.deps.metrics.restarts.inc({ namespace: ref.namespace, policy: ref.name, mode: 'Enforce' })
        this.markInFlight(key, pod.name, now)
        this.clearAlert(key, pod.name)
        log.warn({ reason: d.reason, why: d.message }, 'pod evicted')
        await this.report(policy, pod, 'Restarted', 'Evict', note, 'Normal')
        break
      case 'gone':
        action = 'PodGone'
        note = `pod already gone: ${res.message}`
        this.clearAlert(key, pod.name)
        break
      case 'blocked':
        action = 'EvictionBlocked'
        note = `eviction refused (PodDisruptionBudget or rate limit), retrying after ${new Date(res.retryAtMs).toISOString()}: ${res.message}`
        this.deps.metrics.skips.inc({ reason: 'Blocked' })
        log.info({ message: res.message }, 'eviction refused; backing off')
        await this.report(policy, pod, 'EvictionBlocked', 'Evict', note, 'Warning')
        break
      case 'error':
        action = 'EvictionFailed'
        note = `eviction failed (HTTP ${res.code}): ${res.message}`
        this.deps.metrics.errors.inc({ stage: 'evict' })
        log.error({ code: res.code, message: res.message }, 'eviction failed')
        await this.report(policy, pod, 'EvictionFailed', 'Evict', note, 'Warning')
        break
    }
    try {
      await updatePolicyStatus(this.deps.status, ref, (cur) => recordOutcome(cur, pod.name, action, note, this.now()), { timeoutMs: this.deps.requestTimeoutMs })
    } catch (err) {
      // The entry written ahead stays; only the outcome's description is lost.
      this.deps.metrics.errors.inc({ stage: 'status' })
      log.warn({ err: firstLine(err) }, 'cannot record the eviction outcome')
    }
    return action
  }

  /** The Remediation condition, with a message that only changes when the situation does (no write per round). */
  private async summarize(policy: Policy, result: RoundResult, now: number): Promise<void> {
    const acted = [...result.outcomes].filter(([, o]) => o === 'Evicted' || o === 'WouldRestart')
    const notable = result.decisions.filter((d) => d.action === 'skip' && !QUIET_SKIPS.has(d.reason))
    let reason: string
    let message: string
    if (acted.length > 0) {
      reason = result.mode === 'DryRun' ? 'WouldRestart' : 'Restarted'
      message = `${result.mode === 'DryRun' ? 'would restart' : 'restarted'} ${acted.map(([p]) => p).join(', ')}`
    } else if (notable.length > 0) {
      const first = notable[0] as Decision
      reason = first.reason
      message = `outliers not restarted (${first.reason}): ${notable.map((d) => d.pod).join(', ')}`
    } else {
      reason = 'NoOutliers'
      message = 'no pod is a remediable outlier'
    }
    const dry = result.mode === 'DryRun' ? acted[0] : undefined
    await this.writeStatus(policy, (cur) => ({
      ...cur,
      conditions: [...setCondition(cur.conditions, { type: CONDITION_TYPE, status: 'True', reason, message: `${message} (mode ${result.mode})`, ...(policy.metadata.generation !== undefined ? { observedGeneration: policy.metadata.generation } : {}) }, new Date(now))],
      ...(dry !== undefined ? { lastRemediation: { pod: dry[0], time: new Date(now).toISOString(), action: 'DryRun', reason: 'would restart (mode DryRun)' } } : {}),
    }))
  }

  private async writeCondition(policy: Policy, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    await this.writeStatus(policy, (cur) => ({
      ...cur,
      conditions: [...setCondition(cur.conditions, { type: CONDITION_TYPE, status, reason, message, ...(policy.metadata.generation !== undefined ? { observedGeneration: policy.metadata.generation } : {}) }, new Date(this.now()))],
    }))
  }

  private async writeStatus(policy: Policy, update: (cur: PolicyStatus) => PolicyStatus): Promise<void> {
    if (!this.deps.isLeader()) return
    try {
      await updatePolicyStatus(this.deps.status, { namespace: policy.metadata.namespace, name: policy.metadata.name }, update, { timeoutMs: this.deps.requestTimeoutMs })
    } catch (err) {
      this.deps.metrics.errors.inc({ stage: 'status' })
      this.deps.log.warn({ policy: policyKey(policy), err: firstLine(err) }, 'cannot update the policy status')
    }
  }

  /** One Event on the pod and one on the policy, each naming the other. */
  private async report(policy: Policy, pod: WorkloadPod, reason: string, action: string, note: string, type: 'Normal' | 'Warning'): Promise<void> {
    const podRef: ObjectRef = { apiVersion: 'v1', kind: 'Pod', namespace: policy.metadata.namespace, name: pod.name, ...(pod.uid !== undefined ? { uid: pod.uid } : {}) }
    const policyRef: ObjectRef = { apiVersion: policy.apiVersion, kind: policy.kind, namespace: policy.metadata.namespace, name: policy.metadata.name, ...(policy.metadata.uid !== undefined ? { uid: policy.metadata.uid } : {}) }
    await Promise.all([
      this.deps.events.emit({ regarding: podRef, related: policyRef, reason, action, note, type }),
      this.deps.events.emit({ regarding: policyRef, related: podRef, reason, action, note: `${pod.name}: ${note}`, type }),
    ])
  }

  private markInFlight(key: string, pod: string, now: number): void {
    const m = this.inFlight.get(key) ?? new Map<string, number>()
    m.set(pod, now)
    this.inFlight.set(key, m)
  }

  /** Evictions still not visible as a terminating pod, so maxUnavailable counts them. */
  private pruneInFlight(key: string, pods: readonly WorkloadPod[], now: number): Set<string> {
    const m = this.inFlight.get(key)
    if (m === undefined) return new Set()
    const live = new Map(pods.map((p) => [p.name, p]))
    for (const [pod, at] of m) {
      const p = live.get(pod)
      if (p === undefined || p.deletionTimestamp !== undefined || now - at > IN_FLIGHT_MS) m.delete(pod)
    }
    return new Set(m.keys())
  }

  private liveAlerts(key: string, pods: readonly WorkloadPod[], now: number): Set<string> {
    const m = this.alerts.get(key)
    if (m === undefined) return new Set()
    const names = new Set(pods.map((p) => p.name))
    for (const [pod, byAlert] of m) {
      for (const [alert, until] of byAlert) if (until <= now) byAlert.delete(alert)
      if (byAlert.size === 0 || !names.has(pod)) m.delete(pod)
    }
    return new Set(m.keys())
  }
}
