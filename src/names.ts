// The catalogue of the names users see and write: the served metric names, their label keys and the values of
// those labels. The API, the gauges, the webhook's HPA rules, the controller and the usage text all read them
// here, so a name is changed in one place.

/** The external metrics the adapter serves, by the engine result they render. */
export const METRIC = {
  desiredReplicas: 'foresight_desired_replicas',
  forecastLoad: 'foresight_forecast_load',
  observedLoad: 'foresight_observed_load',
  anomalyScore: 'foresight_anomaly_score',
  podAnomalyScore: 'foresight_pod_anomaly_score',
} as const

export type MetricName = (typeof METRIC)[keyof typeof METRIC]

/** Every served metric, in discovery order. */
export const METRIC_NAMES: readonly MetricName[] = Object.values(METRIC)

/** The prefix every served metric name carries (the webhook checks HPAs that reference one). */
export const METRIC_PREFIX = 'foresight_'

/** Label keys of the served series. */
export const LABEL = {
  /** The ForesightPolicy a series belongs to: every series carries it, and an HPA selects by it. */
  policy: 'foresight.dev/policy',
  /** How a desired replica count was made (one of REASONS). */
  reason: 'foresight.dev/reason',
  quantile: 'quantile',
  horizon: 'horizon',
  pod: 'pod',
  class: 'class',
  /** The check that gave an anomaly score. */
  anomalyReason: 'reason',
} as const

export const POLICY_LABEL = LABEL.policy

/** The label keys each metric's series carry besides the policy label. */
export const SERIES_LABEL_KEYS: Readonly<Record<MetricName, readonly string[]>> = {
  [METRIC.desiredReplicas]: [LABEL.reason],
  [METRIC.observedLoad]: [],
  [METRIC.forecastLoad]: [LABEL.quantile, LABEL.horizon],
  [METRIC.podAnomalyScore]: [LABEL.pod, LABEL.class, LABEL.anomalyReason],
  [METRIC.anomalyScore]: [LABEL.class, LABEL.anomalyReason],
}

/** Values of `foresight.dev/reason`: Predicted, or why the value is not a fresh prediction. */
export const REASONS = ['Predicted', 'ColdStart', 'StaleValue', 'Fallback', 'NoData'] as const
export type ResultReason = (typeof REASONS)[number]
