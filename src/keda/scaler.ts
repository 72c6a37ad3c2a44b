import { status } from '@grpc/grpc-js'
import { METRIC, POLICY_LABEL } from '../names.js'
import type { MetricProvider } from '../ports.js'

// The mapping from KEDA's external scaler calls to the policy's desired replica count, kept apart from gRPC so it
// is tested as plain functions.
//
// KEDA writes GetMetricSpec's target into the HPA it owns as an External metric with an AverageValue target (its
// default metricType), and its metrics server answers that HPA with GetMetrics' value. The HPA then asks for
// ceil(value / target) replicas (kube-controller-manager's replica calculator, outside its 10 % tolerance). With
// target 1 and value = foresight_desired_replicas that is exactly the policy's count, the same contract as an HPA
// reading the external metrics API with `averageValue: "1"`.

/** The metric KEDA names in GetMetrics (it strips its own `sN-` prefix before asking). */
export const KEDA_METRIC_NAME = METRIC.desiredReplicas
/** AverageValue target: one unit of the metric per replica. */
export const KEDA_TARGET_SIZE = 1
/** The trigger metadata key naming the ForesightPolicy. */
export const POLICY_METADATA_KEY = 'policy'

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A failed call: the gRPC status code KEDA sees and a message naming what was wrong. */
export class ScalerError extends Error {
  override name = 'ScalerError'
  constructor(readonly code: status, message: string) {
    super(message)
  }
}

export interface ScaledObjectRef {
  name: string
  namespace: string
  scalerMetadata: Readonly<Record<string, string>>
}

export interface PolicyRef { namespace: string; policy: string }

export interface MetricSpec { metricName: string; targetSize: number; targetSizeFloat: number }
export interface MetricValue { metricName: string; metricValue: number; metricValueFloat: number }

const quoted = (s: string): string => JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}...` : s)

/**
 * The policy a ScaledObject's trigger names, in the ScaledObject's own namespace: a trigger cannot read another
 * namespace's policy.
 */
export function policyRef(ref: ScaledObjectRef | undefined): PolicyRef {
  if (ref === undefined) throw new ScalerError(status.INVALID_ARGUMENT, 'scaledObjectRef is required')
  const namespace = ref.namespace
  if (namespace.length === 0 || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new ScalerError(status.INVALID_ARGUMENT, `invalid namespace ${quoted(namespace)}: must be a lowercase RFC 1123 label`)
  }
  const policy = Object.hasOwn(ref.scalerMetadata, POLICY_METADATA_KEY) ? ref.scalerMetadata[POLICY_METADATA_KEY] : undefined
  if (policy === undefined || policy === '') {
    throw new ScalerError(status.INVALID_ARGUMENT, `trigger metadata "${POLICY_METADATA_KEY}" is required: the name of a ForesightPolicy in namespace ${namespace}`)
  }
  if (policy.length > 253 || !DNS_SUBDOMAIN.test(policy)) {
    throw new ScalerError(status.INVALID_ARGUMENT, `invalid policy name ${quoted(policy)} in trigger metadata "${POLICY_METADATA_KEY}"`)
  }
  return { namespace, policy }
}

/**
 * The policy's served desired replica count. NOT_FOUND when no such policy is loaded, UNAVAILABLE while it (or
 * the adapter) has no value yet: KEDA then keeps the replicas it has, or applies the ScaledObject's fallback.
 */
export function desiredReplicas(source: MetricProvider, ref: PolicyRef): number {
  const result = source.query(ref.namespace, METRIC.desiredReplicas, new Set([ref.policy]))
  if (result.state === 'unknown-metric') throw new ScalerError(status.INTERNAL, `metric ${METRIC.desiredReplicas} is not served`)
  if (result.state === 'not-ready') throw new ScalerError(status.UNAVAILABLE, `not ready yet: ${result.reason}`)
  const item = result.items.find((i) => i.labels[POLICY_LABEL] === ref.policy)
  if (item !== undefined) return item.value
  if (result.pending?.some((p) => p[POLICY_LABEL] === ref.policy) === true) {
    throw new ScalerError(status.UNAVAILABLE, `ForesightPolicy ${ref.namespace}/${ref.policy} has no desired replica count yet`)
  }
  throw new ScalerError(status.NOT_FOUND, `ForesightPolicy ${ref.namespace}/${ref.policy} not found`)
}

/** Active while the policy wants any replica (policies have minReplicas >= 1, so once it has a value). */
export function isActive(source: MetricProvider, ref: ScaledObjectRef | undefined): boolean {
  return desiredReplicas(source, policyRef(ref)) > 0
}

/** The HPA target: checks the policy exists, so a typo shows on the ScaledObject at once, not at the first sync. */
export function metricSpecs(source: MetricProvider, ref: ScaledObjectRef | undefined): MetricSpec[] {
  const p = policyRef(ref)
  try {
    desiredReplicas(source, p)
  } catch (err) {
    // A policy that merely has no value yet still gets its spec: the HPA is created and waits for the value.
    if (!(err instanceof ScalerError) || err.code !== status.UNAVAILABLE) throw err
  }
  return [{ metricName: KEDA_METRIC_NAME, targetSize: KEDA_TARGET_SIZE, targetSizeFloat: KEDA_TARGET_SIZE }]
}

/** The value behind the target: the desired replica count itself. */
export function metricValues(source: MetricProvider, ref: ScaledObjectRef | undefined, metricName: string): MetricValue[] {
  const p = policyRef(ref)
  if (metricName !== KEDA_METRIC_NAME) {
    throw new ScalerError(status.NOT_FOUND, `unknown metric ${quoted(metricName)}: this scaler serves ${KEDA_METRIC_NAME}`)
  }
  const desired = desiredReplicas(source, p)
  // The integer field for KEDA versions that read only it; counts are whole numbers, so nothing is lost.
  return [{ metricName: KEDA_METRIC_NAME, metricValue: Math.round(desired), metricValueFloat: desired }]
}
