import { z } from 'zod'
import { parseMilliValue } from '../api/quantity.js'
import { METRIC, METRIC_NAMES, METRIC_PREFIX, POLICY_LABEL } from '../names.js'
import { groupOf, sameTarget, toFindings, type Finding, type Findings, type PolicySummary } from '../policy/findings.js'

// Checks for autoscaling/v2 HPAs that read foresight metrics. HPAs reading none are not ours and pass untouched.
// Pure: the caller resolves the referenced policies first (referencedPolicies) and passes what it found.

const KNOWN_METRICS: ReadonlySet<string> = new Set(METRIC_NAMES)

const quantity = z.union([z.string(), z.number()]).transform(String)

const selectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() }).loose()).nullish(),
}).loose()

const externalSchema = z.object({
  metric: z.object({ name: z.string(), selector: selectorSchema.nullish() }).loose(),
  target: z.object({ type: z.string(), value: quantity.nullish(), averageValue: quantity.nullish() }).loose(),
}).loose()

/** The fields of an autoscaling/v2 HorizontalPodAutoscaler the rules read; everything else passes through. */
export const hpaSchema = z.object({
  metadata: z.object({ name: z.string().optional(), namespace: z.string().optional() }).loose(),
  spec: z.object({
    scaleTargetRef: z.object({ apiVersion: z.string().optional(), kind: z.string(), name: z.string() }).loose(),
    metrics: z.array(z.object({ type: z.string(), external: externalSchema.nullish() }).loose()).nullish(),
  }).loose(),
}).loose()

export type Hpa = z.output<typeof hpaSchema>
type External = z.output<typeof externalSchema>

interface ForesightMetric {
  /** Field path of the metric, for messages. */
  path: string
  external: External
  /** The single policy the selector names, or why it names none. */
  policy: { ok: true; name: string } | { ok: false; problem: string }
}

export interface HpaContext {
  /** Referenced policies: a summary when found, null when missing; absent when the lookup failed. */
  policies: ReadonlyMap<string, PolicySummary | null>
}

/** External metrics whose name starts with foresight_; empty for HPAs that are not ours. */
export function foresightMetrics(hpa: Hpa): ForesightMetric[] {
  return (hpa.spec.metrics ?? []).flatMap((m, i) => {
    const ext = m.external
    if (m.type !== 'External' || ext == null || !ext.metric.name.startsWith(METRIC_PREFIX)) return []
    return [{ path: `spec.metrics[${i}].external`, external: ext, policy: policyOf(ext) }]
  })
}

/** The policy names the HPA's foresight metrics select, each once. */
export function referencedPolicies(hpa: Hpa): string[] {
  const names = foresightMetrics(hpa).flatMap((m) => (m.policy.ok ? [m.policy.name] : []))
  return [...new Set(names)]
}

function policyOf(ext: External): ForesightMetric['policy'] {
  const sel = ext.metric.selector
  const fromLabels = sel?.matchLabels?.[POLICY_LABEL]
  const exprs = (sel?.matchExpressions ?? []).filter((e) => e.key === POLICY_LABEL)
  const named = new Set<string>(fromLabels !== undefined ? [fromLabels] : [])
  for (const e of exprs) {
    const values = e.values ?? []
    if (e.operator !== 'In' || values.length !== 1) {
      return { ok: false, problem: `matchExpressions on ${POLICY_LABEL} must use operator In with exactly one value (the adapter would serve, and the HPA add up, one series per matching policy)` }
    }
    named.add(values[0] ?? '')
  }
  const [first, ...rest] = [...named]
  if (first === undefined) {
    return { ok: false, problem: `must name one ForesightPolicy: set matchLabels ${POLICY_LABEL}: <policy name> (without it the HPA adds up the metric of every policy in the namespace)` }
  }
  if (rest.length > 0) return { ok: false, problem: `names policies ${[first, ...rest].join(' and ')} at once, so it matches nothing` }
  return { ok: true, name: first }
}

function targetFindings(m: ForesightMetric): Finding[] {
  const name = m.external.metric.name
  const target = m.external.target
  const at = `${m.path}.target`
  if (!KNOWN_METRICS.has(name)) {
    return [{ level: 'warn', message: `${m.path}.metric.name: foresight serves no metric ${name} (it serves ${[...KNOWN_METRICS].join(', ')}); the HPA will report FailedGetExternalMetric` }]
  }
  if (name === METRIC.forecastLoad && m.external.metric.selector?.matchLabels?.quantile === undefined) {
    return [{ level: 'warn', message: `${m.path}.metric.selector: set matchLabels quantile (0.1, 0.5 or 0.9); otherwise the HPA adds up all three forecast quantiles` }]
  }
  if (name !== METRIC.desiredReplicas) return []
  // foresight_desired_replicas is already a replica count: only AverageValue 1 makes the HPA adopt it unchanged
  // (AverageValue computes ceil(value / averageValue); Value computes ceil(value / target * readyPods)).
  const fix = 'use type AverageValue with averageValue "1" to scale to the recommended count'
  if (target.type === 'Value') {
    return [{ level: 'warn', message: `${at}.type: Value multiplies ${name} by the ready pods (10 recommended with 4 pods ready gives 40 replicas); ${fix}` }]
  }
  if (target.type !== 'AverageValue') return [{ level: 'warn', message: `${at}.type: ${target.type} does not apply to ${name}; ${fix}` }]
  const raw = target.averageValue ?? ''
  let milli: bigint
  try {
    milli = parseMilliValue(raw)
  } catch {
    return [{ level: 'warn', message: `${at}.averageValue: "${raw}" is not a quantity; ${fix}` }]
  }
  if (milli === 1000n) return []
  const example = milli > 0n ? ` (10 recommended gives ${Math.ceil(10_000 / Number(milli))} replicas)` : ''
  return [{ level: 'warn', message: `${at}.averageValue: the HPA divides ${name} by ${raw}${example}; ${fix}` }]
}

function policyFindings(hpa: Hpa, m: ForesightMetric, ctx: HpaContext): Finding[] {
  const at = `${m.path}.metric.selector`
  if (!m.policy.ok) return [{ level: 'deny', message: `${at}: ${m.policy.problem}` }]
  const name = m.policy.name
  const ns = hpa.metadata.namespace ?? 'default'
  if (!ctx.policies.has(name)) return [{ level: 'warn', message: `${at}: could not check whether ForesightPolicy ${ns}/${name} exists` }]
  const found = ctx.policies.get(name)
  // A warning, not a denial: GitOps tools may create the HPA before the policy. Until the policy exists the HPA
  // cannot read the metric and keeps the current replica count.
  if (found == null) return [{ level: 'warn', message: `${at}: ForesightPolicy ${ns}/${name} does not exist (yet); the HPA keeps the current replica count until it does` }]
  const ref = hpa.spec.scaleTargetRef
  const mine = { apiVersion: ref.apiVersion ?? found.target.apiVersion, kind: ref.kind, name: ref.name }
  if (sameTarget(found.target, mine)) return []
  const theirs = `${found.target.kind} ${found.target.name}${groupOf(found.target.apiVersion) !== groupOf(mine.apiVersion) ? ` (${found.target.apiVersion})` : ''}`
  return [{ level: 'warn', message: `${at}: ForesightPolicy ${name} forecasts for ${theirs}, but this HPA scales ${ref.kind} ${ref.name}` }]
}

/** Every rule over one HPA; an HPA without foresight metrics gets no findings. */
export function checkHpa(hpa: Hpa, ctx: HpaContext): Findings {
  const findings = foresightMetrics(hpa).flatMap((m) => [...policyFindings(hpa, m, ctx), ...targetFindings(m)])
  return toFindings(findings)
}
