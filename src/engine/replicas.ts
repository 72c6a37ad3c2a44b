// How a forecast becomes a replica count. Pure functions: the refresh loop feeds them, tests pin them down.

interface ReplicaBounds { minReplicas: number; maxReplicas: number; capacityPerReplica: number }

function clampReplicas(n: number, b: ReplicaBounds): number {
  return Math.min(b.maxReplicas, Math.max(b.minReplicas, n))
}

/** Replicas the load needs: ceil(load / capacity), with a tolerance so 10.0000001 / 1 does not become 11. */
export function replicasFor(load: number, capacityPerReplica: number): number {
  if (!(load > 0)) return 0
  return Math.ceil(load / capacityPerReplica - 1e-9)
}

interface Recommendation {
  /** What the forecast alone asks for: the upper quantile's peak over the horizon. */
  forecastReplicas: number
  /** What the load observed now needs: prediction leads, it never replaces the present. */
  presentReplicas: number
  /** max of the two, clamped to [min, max]. */
  replicas: number
  peakForecastLoad: number
}

/**
 * `upperQuantile` holds the upper-quantile forecast for steps 1..n; the horizon covers the first `horizonSteps`
 * of them (pod start-up plus HPA lag), and the peak over it is provisioned for.
 */
export function recommend(upperQuantile: ArrayLike<number>, horizonSteps: number, observedNow: number, b: ReplicaBounds): Recommendation {
  let peak = 0
  const steps = Math.min(horizonSteps, upperQuantile.length)
  for (let i = 0; i < steps; i++) {
    const v = upperQuantile[i] ?? 0
    if (Number.isFinite(v) && v > peak) peak = v
  }
  const forecastReplicas = replicasFor(peak, b.capacityPerReplica)
  const presentReplicas = replicasFor(observedNow, b.capacityPerReplica)
  return { forecastReplicas, presentReplicas, replicas: clampReplicas(Math.max(forecastReplicas, presentReplicas), b), peakForecastLoad: peak }
}
