import type { ResultReason } from '../names.js'
import type { Policy } from '../policy/schema.js'
import type { AdaptiveSummary } from '../forecast/adaptive.js'

export interface PolicyResult {
  policy: string
  namespace: string
  name: string
  /** Undefined when there is nothing safe to serve (the API answers 503 and the HPA holds). */
  desiredReplicas?: number
  reason: ResultReason
  message: string
  /** Time of the newest sample the value was computed from. */
  dataTimeMs: number
  computedAtMs: number
  modelVersion: string
  observedLoad?: number
  forecast?: { horizonSeconds: number; p10: number; p50: number; p90: number }
  anomaly?: { score: number; class: 'load'; reason: string }
  pods?: ReadonlyArray<{ pod: string; score: number; class: 'error' | 'latency' | 'saturation'; reason: string }>
  explain: Explanation
}

/** Everything needed to say why a replica count was served. */
export interface Explanation {
  stepSeconds: number
  /** Steps of the forecast provisioned for: ceil(spec.horizonSeconds / stepSeconds), at most the model's horizon. */
  horizonSteps: number
  /** spec.horizonSeconds when it is longer than the model forecasts (horizonSteps was clamped). */
  requestedHorizonSeconds?: number
  recentWindow?: { startMs: number; samples: number; missing: number }
  seasonalAvailable?: { day: boolean; week: boolean }
  observedLoad?: number
  /** The upper-quantile load provisioned for: the highest over the ready window (the lead step and one more). */
  peakForecastLoad?: number
  /** spec.targetUtilization: the share of capacityPerReplica the forecast may use. */
  targetUtilization?: number
  capacityPerReplica: number
  forecastReplicas?: number
  presentReplicas?: number
  recommendedReplicas?: number
  dampedReplicas?: number
  bounds: { minReplicas: number; maxReplicas: number }
  /** The per-workload adaptation of the served forecast, as of this refresh (state since this process started it). */
  adaptive?: AdaptiveSummary
  failures: number
  errors: string[]
}

export interface RefreshTimings { historyMs: number; featuresMs: number; inferenceMs: number }

/**
 * What the refresh loop and the API need of an engine: the engine itself, or its host on a worker thread.
 * Reads never compute: they serve the latest committed results.
 */
export interface ServingEngine {
  refresh(policies: readonly Policy[]): Promise<{ timings: RefreshTimings }>
  result(key: string): PolicyResult | undefined
  allResults(namespace?: string): IterableIterator<PolicyResult>
  resultsNamed(namespace: string, names: Iterable<string>): IterableIterator<PolicyResult>
}
