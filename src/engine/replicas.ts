// How a forecast becomes a replica count. Pure functions: the refresh loop feeds them, tests pin them down.

interface ReplicaBounds { minReplicas: number; maxReplicas: number; capacityPerReplica: number }

/** spec.targetUtilization with the bounds: the share of capacityPerReplica the forecast may use (0 < u <= 1.5). */
interface DecisionPolicy extends ReplicaBounds { targetUtilization: number }

function clampReplicas(n: number, b: ReplicaBounds): number {
  return Math.min(b.maxReplicas, Math.max(b.minReplicas, n))
}

/** Replicas the load needs: ceil(load / capacity), with a tolerance so 10.0000001 / 1 does not become 11. */
export function replicasFor(load: number, capacityPerReplica: number): number {
  if (!(load > 0)) return 0
  return Math.ceil(load / capacityPerReplica - 1e-9)
}

/**
 * The forecast steps a count served now is provisioned for: from `leadSteps` (pods asked for now are Ready then:
 * pod start-up plus HPA lag, spec.horizonSeconds) through one step more, when the next refresh's pods are Ready.
 * Earlier steps are not the new pods' to serve: before they are Ready the pods running now serve the load, and
 * provisioning for the peak of every step up to the lead held capacity for loads that were over by then.
 * Zero-based indices [first, last] into a forecast of `forecastSteps` steps, clamped to it.
 */
export function readyWindow(leadSteps: number, forecastSteps: number): { first: number; last: number } {
  const last = Math.max(0, Math.min(forecastSteps - 1, leadSteps))
  return { first: Math.max(0, Math.min(last, leadSteps - 1)), last }
}

interface Recommendation {
  /** What the forecast asks for: the upper quantile over the ready window, at the target utilisation. */
  forecastReplicas: number
  /** What the load observed now needs at full capacity: prediction leads, it never replaces the present. */
  presentReplicas: number
  /** max of the two, clamped to [min, max]. */
  replicas: number
  /** The upper-quantile load provisioned for: the highest over the ready window. */
  peakForecastLoad: number
}

/**
 * `upperQuantile` holds the upper-quantile (p90) forecast for steps 1..n. The forecast over the ready window may
 * use `targetUtilization` of each replica's capacity (1: all of it; 0.8: 25 % headroom; 1.25: provision for 80 % of
 * the p90, cheaper when capacityPerReplica is a cautious estimate). The present is held at
 * full capacity: what the load needs now is a floor, not a target, so a lower target never makes the floor
 * dearer than the forecast it is there to back up. A forecast drop lowers the recommendation as soon as it
 * reaches the ready window, ahead of the load; the damping (spec.scaleDown) then decides when it is served.
 */
export function recommend(upperQuantile: ArrayLike<number>, leadSteps: number, observedNow: number, p: DecisionPolicy): Recommendation {
  let peak = 0
  if (upperQuantile.length > 0) {
    const w = readyWindow(leadSteps, upperQuantile.length)
    for (let i = w.first; i <= w.last; i++) {
      const v = upperQuantile[i] ?? 0
      if (Number.isFinite(v) && v > peak) peak = v
    }
  }
  const forecastReplicas = replicasFor(peak, p.capacityPerReplica * p.targetUtilization)
  const presentReplicas = replicasFor(observedNow, p.capacityPerReplica)
  return { forecastReplicas, presentReplicas, replicas: clampReplicas(Math.max(forecastReplicas, presentReplicas), p), peakForecastLoad: peak }
}
