/**
 * How well a strategy provisioned: shortfall (time and demand not served by READY capacity), cost (replica
 * time, over-provisioning) and churn (scaling events and direction reversals). Fed one simulation tick at a time.
 */

export interface ProvisioningMetrics {
  /** Time with demand above ready capacity. */
  underProvisionedMinutes: number
  /** Share of the demand above ready capacity (0..1). */
  unservedShare: number
  /** Replicas that existed, ready or starting, times minutes: what the cluster paid for. */
  replicaMinutes: number
  /** Mean ready capacity over mean demand: 1 is exact, 2 is twice what was needed. */
  overProvisioningRatio: number
  /** Changes of the replica count. */
  scalingEvents: number
  /** Changes whose direction is opposite to the previous change within `flapWindowSeconds`: flapping. */
  reversals: number
  /** Time the metrics cover (ticks with a known demand). */
  evaluatedMinutes: number
}

export interface Tick {
  /** Load offered during the tick; NaN where it is unknown (a gap): the tick is not scored. */
  demand: number
  readyCapacity: number
  replicas: number
  durationSeconds: number
  timeMs: number
}

export class ProvisioningScore {
  private underSeconds = 0
  private unserved = 0
  private demandTotal = 0
  private capacityTotal = 0
  private replicaSeconds = 0
  private evaluatedSeconds = 0
  private events = 0
  private flips = 0
  private lastReplicas: number | undefined
  private lastChange: { direction: number; timeMs: number } | undefined

  constructor(private readonly flapWindowSeconds = 600) {}

  add(t: Tick): void {
    if (this.lastReplicas !== undefined && t.replicas !== this.lastReplicas) {
      const direction = Math.sign(t.replicas - this.lastReplicas)
      this.events++
      if (this.lastChange !== undefined && this.lastChange.direction !== direction && t.timeMs - this.lastChange.timeMs <= this.flapWindowSeconds * 1000) this.flips++
      this.lastChange = { direction, timeMs: t.timeMs }
    }
    this.lastReplicas = t.replicas
    if (!Number.isFinite(t.demand)) return
    const dt = t.durationSeconds
    this.evaluatedSeconds += dt
    this.replicaSeconds += t.replicas * dt
    this.demandTotal += t.demand * dt
    this.capacityTotal += t.readyCapacity * dt
    if (t.demand > t.readyCapacity) {
      this.underSeconds += dt
      this.unserved += (t.demand - t.readyCapacity) * dt
    }
  }

  result(): ProvisioningMetrics {
    return {
      underProvisionedMinutes: this.underSeconds / 60,
      unservedShare: this.demandTotal > 0 ? this.unserved / this.demandTotal : 0,
      replicaMinutes: this.replicaSeconds / 60,
      overProvisioningRatio: this.demandTotal > 0 ? this.capacityTotal / this.demandTotal : NaN,
      scalingEvents: this.events,
      reversals: this.flips,
      evaluatedMinutes: this.evaluatedSeconds / 60,
    }
  }
}

/** The metrics of a whole run at once. */
export function scoreTicks(ticks: Iterable<Tick>, flapWindowSeconds?: number): ProvisioningMetrics {
  const s = new ProvisioningScore(flapWindowSeconds)
  for (const t of ticks) s.add(t)
  return s.result()
}
