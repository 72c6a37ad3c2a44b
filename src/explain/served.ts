import { z } from 'zod'
import { API_PREFIX, GROUP as METRICS_GROUP, VERSION as METRICS_VERSION, externalMetricValueListSchema, type ExternalMetricValue } from '../api/types.js'
import { parseMilliValue } from '../api/quantity.js'
import { LABEL, METRIC, POLICY_LABEL } from '../names.js'
import { GROUP, PLURAL, VERSION, policyStatusSchema, type PolicyStatus } from '../policy/schema.js'

// `foresight explain`: what the running adapter serves for one policy, read the way the HPA reads it (through
// the aggregated API), beside the policy's spec and status as the cluster has them. Every request goes through
// `get`, so the same code reads a cluster through kube-apiserver or an adapter asked directly.

export interface RawAnswer { status: number; body: string }
export type Get = (path: string) => Promise<RawAnswer>

export const APISERVICE = `${METRICS_VERSION}.${METRICS_GROUP}`

export class ExplainError extends Error {
  override name = 'ExplainError'
}

export interface ServedValue { value: number; quantity: string; timestamp: string }

export interface ServedExplanation {
  namespace: string
  name: string
  served: {
    desiredReplicas?: ServedValue & { reason: string }
    forecast: Array<ServedValue & { quantile: string; horizon: string }>
    observed?: ServedValue
    anomaly: Array<ServedValue & { class: string; reason: string }>
    /** Metrics not served now, with the server's answer. */
    unavailable: Array<{ metric: string; code: number; message: string }>
  }
  /** The policy as the cluster has it; absent when the server has no ForesightPolicy resource (an adapter asked directly). */
  policy?: {
    target: string
    minReplicas?: number
    maxReplicas?: number
    remediationMode?: string
    status: PolicyStatus
  }
}

const specView = z.object({
  scaleTargetRef: z.object({ kind: z.string().optional(), name: z.string() }).loose(),
  minReplicas: z.number().optional(),
  maxReplicas: z.number().optional(),
  remediation: z.object({ mode: z.string().optional() }).loose().optional(),
}).loose()

const policyObject = z.object({ spec: specView, status: z.unknown().optional() }).loose()

const statusBody = z.object({ kind: z.literal('Status'), message: z.string().optional(), reason: z.string().optional() }).loose()

const apiServiceBody = z.object({
  status: z.object({ conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional() }).optional(),
}).loose()

/** The server's own words for a failed request: a Status message, else the body's first line. */
export function messageOf(a: RawAnswer): string {
  try {
    const s = statusBody.safeParse(JSON.parse(a.body))
    if (s.success && s.data.message !== undefined) return s.data.message
  } catch {
    // Not JSON (the aggregator answers some failures as text).
  }
  return a.body.trim().split('\n')[0]?.slice(0, 300) || `HTTP ${a.status}`
}

function failOnAuth(a: RawAnswer, what: string): void {
  if (a.status === 401) throw new ExplainError(`unauthorized: the cluster did not accept the credentials of this kubeconfig context (401 reading ${what})`)
  if (a.status === 403) throw new ExplainError(`forbidden: ${messageOf(a)}`)
}

function parseJson(a: RawAnswer, what: string): unknown {
  try {
    return JSON.parse(a.body)
  } catch {
    throw new ExplainError(`unexpected answer to ${what}: not JSON (HTTP ${a.status})`)
  }
}

const valueOf = (i: ExternalMetricValue): ServedValue => ({ value: Number(parseMilliValue(i.value)) / 1000, quantity: i.value, timestamp: i.timestamp })

export function metricPath(namespace: string, metric: string, name: string): string {
  return `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}/${metric}?labelSelector=${encodeURIComponent(`${POLICY_LABEL}=${name}`)}`
}

/** The policy's spec and status, or undefined when this server has no ForesightPolicy resource. */
async function readPolicy(get: Get, namespace: string, name: string): Promise<ServedExplanation['policy']> {
  const discovery = await get(`/apis/${GROUP}/${VERSION}`)
  failOnAuth(discovery, `/apis/${GROUP}/${VERSION}`)
  if (discovery.status === 404) return undefined
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}/${encodeURIComponent(name)}`
  const a = await get(path)
  failOnAuth(a, `the ForesightPolicy ${namespace}/${name}`)
  if (a.status === 404) throw new ExplainError(`no such policy: there is no ForesightPolicy "${name}" in namespace "${namespace}"`)
  if (a.status !== 200) throw new ExplainError(`unable to read the ForesightPolicy ${namespace}/${name}: ${messageOf(a)} (HTTP ${a.status})`)
  const obj = policyObject.safeParse(parseJson(a, path))
  if (!obj.success) throw new ExplainError(`unable to read the ForesightPolicy ${namespace}/${name}: unexpected object`)
  const status = policyStatusSchema.safeParse(obj.data.status ?? {})
  const spec = obj.data.spec
  return {
    target: `${spec.scaleTargetRef.kind ?? 'Deployment'}/${spec.scaleTargetRef.name}`,
    ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
    ...(spec.maxReplicas !== undefined ? { maxReplicas: spec.maxReplicas } : {}),
    ...(spec.remediation?.mode !== undefined ? { remediationMode: spec.remediation.mode } : {}),
    status: status.success ? status.data : {},
  }
}

/**
 * Why the external metrics API did not answer, when that is the cluster's doing rather than the adapter's: no
 * APIService, or one that is not Available. Undefined when the APIService looks fine (or cannot be read).
 */
async function apiServiceProblem(get: Get): Promise<string | undefined> {
  const a = await get(`/apis/apiregistration.k8s.io/v1/apiservices/${APISERVICE}`)
  if (a.status === 404) return `no APIService serves ${METRICS_GROUP}/${METRICS_VERSION} in this cluster: is Foresight installed? (docs/deploy.md)`
  if (a.status !== 200) return undefined
  const svc = apiServiceBody.safeParse(parseJson(a, APISERVICE))
  const available = svc.success ? svc.data.status?.conditions?.find((c) => c.type === 'Available') : undefined
  if (available === undefined || available.status === 'True') return undefined
  return `the APIService ${APISERVICE} is not available: ${available.reason ?? 'Unknown'}: ${available.message ?? ''}`.trim()
}

/** Reads what is served for `namespace/name` and the policy itself. */
export async function explainServed(get: Get, namespace: string, name: string): Promise<ServedExplanation> {
  const policy = await readPolicy(get, namespace, name)
  const metrics = [METRIC.desiredReplicas, METRIC.forecastLoad, METRIC.observedLoad, METRIC.anomalyScore] as const
  const answers = await Promise.all(metrics.map((m) => get(metricPath(namespace, m, name))))
  const out: ServedExplanation = { namespace, name, served: { forecast: [], anomaly: [], unavailable: [] }, ...(policy !== undefined ? { policy } : {}) }
  for (const [i, metric] of metrics.entries()) {
    const a = answers[i] as RawAnswer
    failOnAuth(a, metric)
    if (a.status !== 200) {
      out.served.unavailable.push({ metric, code: a.status, message: messageOf(a) })
      continue
    }
    const list = externalMetricValueListSchema.safeParse(parseJson(a, metric))
    if (!list.success) throw new ExplainError(`unexpected answer for ${metric}: not an ExternalMetricValueList`)
    for (const item of list.data.items) {
      const l = item.metricLabels
      if (metric === METRIC.desiredReplicas) out.served.desiredReplicas = { ...valueOf(item), reason: l[LABEL.reason] ?? '' }
      else if (metric === METRIC.observedLoad) out.served.observed = valueOf(item)
      else if (metric === METRIC.forecastLoad) out.served.forecast.push({ ...valueOf(item), quantile: l[LABEL.quantile] ?? '', horizon: l[LABEL.horizon] ?? '' })
      else out.served.anomaly.push({ ...valueOf(item), class: l[LABEL.class] ?? '', reason: l[LABEL.anomalyReason] ?? '' })
    }
  }
  out.served.forecast.sort((a, b) => Number(a.quantile) - Number(b.quantile))
  // The order json and yaml print: the replica count first.
  const { desiredReplicas, forecast, observed, anomaly, unavailable } = out.served
  out.served = { ...(desiredReplicas !== undefined ? { desiredReplicas } : {}), forecast, ...(observed !== undefined ? { observed } : {}), anomaly, unavailable }
  const desired = out.served.unavailable.find((u) => u.metric === METRIC.desiredReplicas)
  if (desired !== undefined && (desired.code === 404 || desired.code === 503)) {
    // Only an apiserver has APIServices: asked directly, an adapter's 404 means it serves no such policy.
    if (policy === undefined) {
      if (desired.code === 404) throw new ExplainError(`no such policy: nothing is served for ${POLICY_LABEL}=${name} in namespace "${namespace}" (${desired.message})`)
    } else {
      const problem = await apiServiceProblem(get)
      if (problem !== undefined) throw new ExplainError(problem)
    }
  }
  return out
}
