/**
 * The HorizontalPodAutoscaler controller's decision for External metrics with an AverageValue target, as
 * pkg/controller/podautoscaler computes it (autoscaling/v2 with behavior): per-metric proposals with the
 * tolerance, the max over metrics, stabilization windows over past recommendations, then the scaling-policy rate
 * limits measured against past scale events. Pure: the state goes in and comes out, time is a parameter.
 */

interface ScalingPolicy {
  type: 'Pods' | 'Percent'
  value: number
  periodSeconds: number
}

export interface ScalingRules {
  stabilizationWindowSeconds: number
  /** Max picks the policy allowing the largest change, Min the smallest; Disabled forbids this direction. */
  selectPolicy: 'Max' | 'Min' | 'Disabled'
  policies: readonly ScalingPolicy[]
}

export interface HpaSpec {
  minReplicas: number
  maxReplicas: number
  /** --horizontal-pod-autoscaler-tolerance: no change while |usageRatio - 1| <= tolerance. */
  tolerance: number
  scaleUp: ScalingRules
  scaleDown: ScalingRules
}

/** One External metric with `target.type: AverageValue`; `value` is the sum of the items the API returned. */
export interface ExternalAverageValueMetric {
  value: number
  averageValue: number
}

interface Timestamped { timeMs: number; replicas: number }

export interface HpaState {
  /** Unstabilized recommendations, the input of the stabilization windows. */
  readonly recommendations: readonly Timestamped[]
  /** Replica changes of past rescales, the input of the rate limits. */
  readonly scaleUpEvents: readonly Timestamped[]
  readonly scaleDownEvents: readonly Timestamped[]
}

export const EMPTY_HPA_STATE: HpaState = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] }

export const HPA_SYNC_PERIOD_SECONDS = 15
const HPA_TOLERANCE = 0.1

/** The behavior the API server defaults when none is given. */
export function defaultHpaSpec(minReplicas: number, maxReplicas: number): HpaSpec {
  return {
    minReplicas,
    maxReplicas,
    tolerance: HPA_TOLERANCE,
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 15 }] },
    scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  }
}

type HpaReason = 'MetricsUnavailable' | 'AboveMaxReplicas' | 'BelowMinReplicas' | 'WithinTolerance' | 'Stabilized' | 'RateLimited' | 'BoundedByMinMax' | 'Desired'

interface HpaDecision {
  /** The replica count the HPA writes to the scale subresource (equal to current when it holds). */
  desiredReplicas: number
  /** The metrics' proposal before stabilization and limits, when the metrics were usable. */
  proposedReplicas?: number
  reason: HpaReason
  state: HpaState
}

/**
 * The adapter's value as the HPA reads it: Quantity.MilliValue(). Working in integer milli-units also keeps
 * ceil(0.3 / 0.1) at 3, as the controller's int64 arithmetic has it.
 */
function milli(x: number): number {
  return Math.ceil(Math.round(x * 1e6) / 1e3)
}

/** GetExternalPerPodMetricReplicas: usageRatio against the current replicas, ceil(sum / averageValue) outside tolerance. */
export function externalAverageValueReplicas(metric: ExternalAverageValueMetric, currentReplicas: number, tolerance: number): number {
  const usage = milli(metric.value)
  const target = milli(metric.averageValue)
  const ratio = usage / (target * currentReplicas)
  return Math.abs(1 - ratio) > tolerance ? Math.ceil(usage / target) : currentReplicas
}

const after = (timeMs: number, cutoffMs: number): boolean => timeMs > cutoffMs

function changeInPeriod(events: readonly Timestamped[], nowMs: number, periodSeconds: number): number {
  const cutoff = nowMs - periodSeconds * 1000
  return events.reduce((sum, e) => (after(e.timeMs, cutoff) ? sum + e.replicas : sum), 0)
}

function scaleUpLimit(current: number, s: HpaState, rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity
  for (const p of rules.policies) {
    const periodStart = current - changeInPeriod(s.scaleUpEvents, nowMs, p.periodSeconds) + changeInPeriod(s.scaleDownEvents, nowMs, p.periodSeconds)
    // Rounded up so a small deployment can always grow by a percentage.
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100))
    result = pick(result, proposed)
  }
  return result
}

function scaleDownLimit(current: number, s: HpaState, rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity
  for (const p of rules.policies) {
    const periodStart = current - changeInPeriod(s.scaleUpEvents, nowMs, p.periodSeconds) + changeInPeriod(s.scaleDownEvents, nowMs, p.periodSeconds)
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100))
    result = pick(result, proposed)
  }
  return result
}

const longestPeriodMs = (r: ScalingRules): number => Math.max(0, ...r.policies.map((p) => p.periodSeconds)) * 1000

/**
 * One reconcile of the HPA at `nowMs`. `metrics` undefined (or empty) means the metrics API failed: the HPA
 * holds the current count and records nothing.
 */
export function hpaSync(spec: HpaSpec, state: HpaState, nowMs: number, currentReplicas: number, metrics: readonly (ExternalAverageValueMetric | undefined)[] | undefined): HpaDecision {
  if (currentReplicas > spec.maxReplicas) return rescale(spec, state, nowMs, currentReplicas, spec.maxReplicas, 'AboveMaxReplicas')
  if (currentReplicas < spec.minReplicas) return rescale(spec, state, nowMs, currentReplicas, spec.minReplicas, 'BelowMinReplicas')

  const valid = (metrics ?? []).filter((m): m is ExternalAverageValueMetric => m !== undefined && Number.isFinite(m.value) && m.averageValue > 0)
  const invalid = (metrics?.length ?? 0) - valid.length
  if (valid.length === 0) return { desiredReplicas: currentReplicas, reason: 'MetricsUnavailable', state }
  const proposed = Math.max(...valid.map((m) => externalAverageValueReplicas(m, currentReplicas, spec.tolerance)))
  // A failing metric never lets the others scale down.
  if (invalid > 0 && proposed < currentReplicas) return { desiredReplicas: currentReplicas, proposedReplicas: proposed, reason: 'MetricsUnavailable', state }

  // Stabilization: the recommendation may not leave [min over the up window, max over the down window].
  const upCutoff = nowMs - spec.scaleUp.stabilizationWindowSeconds * 1000
  const downCutoff = nowMs - spec.scaleDown.stabilizationWindowSeconds * 1000
  let upRecommendation = proposed
  let downRecommendation = proposed
  for (const r of state.recommendations) {
    if (after(r.timeMs, upCutoff)) upRecommendation = Math.min(upRecommendation, r.replicas)
    if (after(r.timeMs, downCutoff)) downRecommendation = Math.max(downRecommendation, r.replicas)
  }
  const stabilized = Math.min(Math.max(currentReplicas, upRecommendation), downRecommendation)
  const oldest = Math.min(upCutoff, downCutoff)
  const recommendations = [...state.recommendations.filter((r) => after(r.timeMs, oldest)), { timeMs: nowMs, replicas: proposed }]
  const next: HpaState = { ...state, recommendations }

  let desired = stabilized
  let reason: HpaReason = proposed === currentReplicas ? 'WithinTolerance' : stabilized !== proposed ? 'Stabilized' : 'Desired'
  if (stabilized > currentReplicas) {
    const limit = Math.max(currentReplicas, scaleUpLimit(currentReplicas, state, spec.scaleUp, nowMs))
    const allowed = Math.min(spec.maxReplicas, limit)
    if (stabilized > allowed) {
      desired = allowed
      reason = allowed === spec.maxReplicas && spec.maxReplicas <= limit ? 'BoundedByMinMax' : 'RateLimited'
    }
  } else if (stabilized < currentReplicas) {
    const limit = Math.min(currentReplicas, scaleDownLimit(currentReplicas, state, spec.scaleDown, nowMs))
    const allowed = Math.max(spec.minReplicas, limit)
    if (stabilized < allowed) {
      desired = allowed
      reason = allowed === spec.minReplicas && spec.minReplicas >= limit ? 'BoundedByMinMax' : 'RateLimited'
    }
  }
  const d = rescale(spec, next, nowMs, currentReplicas, desired, reason)
  return { ...d, proposedReplicas: proposed }
}

/** storeScaleEvent: remembers the change for the rate limits, forgetting events older than any policy period. */
function rescale(spec: HpaSpec, state: HpaState, nowMs: number, current: number, desired: number, reason: HpaReason): HpaDecision {
  if (desired === current) return { desiredReplicas: desired, reason, state }
  const keep = (events: readonly Timestamped[], rules: ScalingRules): Timestamped[] => events.filter((e) => after(e.timeMs, nowMs - longestPeriodMs(rules)))
  const up = keep(state.scaleUpEvents, spec.scaleUp)
  const down = keep(state.scaleDownEvents, spec.scaleDown)
  if (desired > current) up.push({ timeMs: nowMs, replicas: desired - current })
  else down.push({ timeMs: nowMs, replicas: current - desired })
  return { desiredReplicas: desired, reason, state: { recommendations: state.recommendations, scaleUpEvents: up, scaleDownEvents: down } }
}
