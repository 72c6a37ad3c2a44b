import type { Logger } from 'pino'
import type { AlertOutcome, AlertSink } from '../alerts/receiver.js'
import type { RestartRequest } from '../alerts/payload.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { PolicySource } from '../policy/source.js'
import type { RemediationMetrics } from './metrics.js'
import type { Remediator, RoundResult } from './reconcile.js'

// The remediation loop: a round over every policy each interval, acting only while this replica leads; the alert
// receiver's restart requests go through the same queue and decision. Every replica runs it, only the Lease
// holder acts. The command (commands/controller.ts) builds what it reads and writes through.

/** What the loop needs of the leader election (none: the replica always leads). */
interface Leadership {
  isLeader(): boolean
  leadershipLeftMs(): number | undefined
  start(): void
  stopCampaigning(): Promise<void>
  stop(opts: { release: boolean }): Promise<void>
}

interface RemediationLoopOptions {
  log: Logger
  policies: PolicySource
  remediator: Remediator
  metrics: RemediationMetrics
  intervalMs: number
  /**
   * How soon a policy whose outlier waited for maxUnavailable is evaluated again. A replacement pod is often Ready
   * well before the next round; waiting a whole interval would hold the next restart back for nothing.
   */
  waitingIntervalMs: number
}

/** Whether a round held a restart back only because too many pods were restarting or not ready. */
export function heldByMaxUnavailable(r: RoundResult): boolean {
  return r.error === undefined && (r.decisions.some((d) => d.reason === 'MaxUnavailable') || [...r.outcomes.values()].includes('MaxUnavailable'))
}

export class RemediationLoop implements AlertSink {
  /** Follows the elector's callbacks (metrics, the first round); whether to act is asked of the elector itself. */
  private leading = true
  /** Set by stop(): no round starts, and a round in flight stops before its next policy. */
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private followUp: NodeJS.Timeout | undefined
  /** Policies whose last round held a restart back for maxUnavailable: the follow-up rounds evaluate just these. */
  private readonly waiting = new Set<string>()
  private elector: Leadership | undefined

  constructor(private readonly o: RemediationLoopOptions) {}

  /** Before start(): from here on the replica acts only while it holds the lease. */
  electWith(elector: Leadership): void {
    this.elector = elector
    this.leading = false
  }

  isLeader(): boolean {
    return this.leading && (this.elector === undefined || this.elector.isLeader())
  }

  leadershipLeftMs(): number | undefined {
    return this.elector?.leadershipLeftMs()
  }

  /** Whether this replica may act now: leading, and not shutting down. */
  private acting(): boolean {
    return !this.stopped && this.isLeader()
  }

  startedLeading(): void {
    this.leading = true
    this.o.metrics.leader.set(1)
    this.reconcileNow().catch((err: unknown) => this.o.log.error({ err }, 'first round as leader failed'))
  }

  /** Checked before every write and eviction, so a round in flight stops acting at once. */
  stoppedLeading(): void {
    this.leading = false
    this.o.metrics.leader.set(0)
  }

  start(): void {
    this.o.metrics.leader.set(this.leading ? 1 : 0)
    if (this.elector !== undefined) this.elector.start()
    else void this.reconcileNow().catch((err: unknown) => this.o.log.error({ err }, 'first round failed'))
    this.loop()
  }

  /** One round over every policy, after the rounds already queued (tests, and the first round after election). */
  reconcileNow(): Promise<RoundResult[]> {
    return this.o.remediator.serialize(async () => (this.acting() ? this.roundAll() : []))
  }

  private loop(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.reconcileNow().then(() => this.loop(), (err: unknown) => {
        this.o.log.error({ err }, 'remediation loop failed')
        this.loop()
      })
    }, this.o.intervalMs)
    this.timer.unref()
  }

  /** Rounds over the waiting policies only, every waitingIntervalMs while any waits (none if that is not sooner). */
  private scheduleFollowUp(): void {
    if (this.stopped || this.followUp !== undefined || this.waiting.size === 0 || this.o.waitingIntervalMs >= this.o.intervalMs) return
    this.followUp = setTimeout(() => {
      this.o.remediator.serialize(async () => {
        this.followUp = undefined
        return this.acting() ? this.roundAll(new Set(this.waiting)) : []
      }).catch((err: unknown) => this.o.log.error({ err }, 'remediation follow-up round failed'))
    }, this.o.waitingIntervalMs)
    this.followUp.unref()
  }

  /** One round over every policy, or over `only` (a follow-up); records which policies are left waiting. */
  private async roundAll(only?: ReadonlySet<string>): Promise<RoundResult[]> {
    const all = this.o.policies.list()
    if (only === undefined) {
      this.o.remediator.retain(new Set(all.map(policyKey)))
      this.waiting.clear()
    }
    const results: RoundResult[] = []
    for (const p of only === undefined ? all : all.filter((x) => only.has(policyKey(x)))) {
      // Between policies: a shutdown waits for the policy in flight only, not for the whole round.
      if (!this.acting()) break
      try {
        results.push(await this.o.remediator.reconcile(p))
      } catch (err) {
        this.o.metrics.errors.inc({ stage: 'round' })
        this.o.log.error({ err, policy: policyKey(p) }, 'remediation round failed')
      }
    }
    // A follow-up's policy that gave no result (gone since, or cut short by a shutdown or a lost lease) waits no longer.
    for (const k of only ?? []) this.waiting.delete(k)
    for (const r of results) if (heldByMaxUnavailable(r)) this.waiting.add(r.policy)
    this.scheduleFollowUp()
    return results
  }

  /** Stops the rounds; `beforeIdle` runs once no new round can start (the alert receiver closes there). */
  async stop(beforeIdle: () => Promise<void> = async () => {}): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    clearTimeout(this.followUp)
    // Never win the lease again while shutting down; a leader keeps renewing until its work in flight is done.
    await this.elector?.stopCampaigning()
    await beforeIdle()
    // Finish the policy in flight (bounded by the call timeouts), then hand the lease over at once.
    await this.o.remediator.idle()
    await this.elector?.stop({ release: true })
    this.leading = false
    this.o.metrics.leader.set(0)
  }

  /**
   * The leader withdraws the signal of this one alert, in turn with the rounds (so a restart request queued before
   * it cannot set it again afterwards); another alert still firing for the pod keeps asking. A follower holds no
   * signals: false, and the receiver answers 503 so that Alertmanager retries, hopefully on the leader.
   */
  async withdrawRestart(req: RestartRequest): Promise<boolean> {
    if (!this.acting()) return false
    return this.o.remediator.serialize(async () => {
      if (!this.acting()) return false
      this.o.remediator.clearAlert(policyKey({ metadata: { namespace: req.namespace, name: req.policy } }), req.pod, alertId(req))
      return true
    })
  }

  async requestRestart(req: RestartRequest): Promise<AlertOutcome> {
    if (!this.acting()) return { status: 'not-leader' }
    const policy: Policy | undefined = this.o.policies.list().find((p) => p.metadata.namespace === req.namespace && p.metadata.name === req.policy)
    if (policy === undefined) return { status: 'unknown-policy' }
    if (policy.spec.remediation.mode === 'Off') return { status: 'decided', action: 'skip', reason: 'ModeOff', outcome: 'ModeOff' }
    // Alert labels are whatever the rule that raised it wrote: only a policy that opted in lets them ask.
    if (!policy.spec.remediation.acceptAlerts) return { status: 'decided', action: 'skip', reason: 'AlertsNotAccepted', outcome: 'AlertsNotAccepted' }
    const key = policyKey(policy)
    const remediator = this.o.remediator
    // Raised inside the queued round, so that this round, and not one already running, answers the alert.
    const result = await remediator.serialize(async () => {
      // Queued behind a round that outlived the shutdown or the leadership: this replica no longer acts.
      if (!this.acting()) return undefined
      remediator.signalAlert(key, req.pod, alertId(req))
      return remediator.reconcile(policy)
    })
    if (result === undefined) return { status: 'not-leader' }
    const d = result.decisions.find((x) => x.pod === req.pod)
    if (d === undefined) {
      remediator.clearAlert(key, req.pod, alertId(req))
      return result.error !== undefined ? { status: 'decided', action: 'skip', reason: result.error, outcome: result.error } : { status: 'unknown-pod' }
    }
    const outcome = result.outcomes.get(req.pod) ?? d.reason
    // A restart refused at the write-ahead step is a skip, whatever decide thought.
    const action = outcome === 'Evicted' || outcome === 'WouldRestart' ? 'restart' : 'skip'
    return { status: 'decided', action, reason: action === 'restart' ? d.reason : outcome, outcome }
  }
}

/** One alert's identity: Alertmanager's fingerprint, else its name. */
function alertId(req: RestartRequest): string {
  return req.fingerprint !== '' ? req.fingerprint : req.alertname
}
