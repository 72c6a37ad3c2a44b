import { HORIZON_STEPS, RECENT_STEPS } from '../forecast/windows.js'
import { MAX_QUERY_CHARS, type Policy } from './schema.js'
import { checkPromQL } from './promql.js'
import { sameTarget, toFindings, type Finding, type Findings, type PolicySummary } from './findings.js'

// Semantic checks a ForesightPolicy must pass beyond its zod schema: the ones that need two fields at once, the
// model's shape, or knowledge of the cluster. Pure: the caller looks the cluster up and passes what it found.

export interface PolicyContext {
  /** The other ForesightPolicies in the namespace; undefined when they could not be listed. */
  others?: readonly PolicySummary[]
  /** Whether the scale target exists; undefined when it could not be checked. */
  targetExists?: boolean
}

type PolicyRule = (p: Policy, ctx: PolicyContext) => Finding[]

const deny = (message: string): Finding => ({ level: 'deny', message })
const warn = (message: string): Finding => ({ level: 'warn', message })

const replicaBounds: PolicyRule = (p) => {
  // The schema refuses this already; kept so the rules stand on their own for any caller.
  const s = p.spec
  return s.minReplicas > s.maxReplicas ? [deny(`spec.minReplicas: ${s.minReplicas} exceeds maxReplicas ${s.maxReplicas}`)] : []
}

const QUERY_PATHS = [
  ['load', 'query'],
  ['podSignals', 'errorRatioQuery'],
  ['podSignals', 'latencyQuery'],
  ['podSignals', 'saturationQuery'],
  ['podSignals', 'requestsQuery'],
] as const

function queryDenials(spec: unknown): string[] {
  const at = (o: unknown, k: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined)
  return QUERY_PATHS.flatMap(([group, field]) => {
    const q = at(at(spec, group), field)
    // An oversized query is the schema's to report, once; it is not parsed.
    if (typeof q !== 'string' || q.length > MAX_QUERY_CHARS) return []
    const r = checkPromQL(q)
    return r.ok ? [] : [`spec.${group}.${field}: invalid PromQL: ${r.message}`]
  })
}

const queries: PolicyRule = (p) => queryDenials(p.spec).map(deny)

/**
 * The PromQL problems of a policy that failed its schema, so that one answer lists them together with the schema
 * errors instead of making the user fix those first and only then learn the query is wrong. Non-strings are the
 * schema's to report.
 */
export function rawQueryDenials(obj: unknown): string[] {
  return queryDenials(typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>).spec : undefined)
}

const horizon: PolicyRule = (p) => {
  const { horizonSeconds: h, stepSeconds: step } = p.spec
  if (h < step) return [deny(`spec.horizonSeconds: ${h} is shorter than one step (stepSeconds ${step})`)]
  const steps = Math.ceil(h / step)
  if (steps <= HORIZON_STEPS) return []
  return [deny(`spec.horizonSeconds: ${h} is ${steps} steps of ${step} s; the model forecasts at most ${HORIZON_STEPS} steps ` +
    `(raise stepSeconds to ${Math.ceil(h / HORIZON_STEPS)} or lower horizonSeconds to ${HORIZON_STEPS * step})`)]
}

const history: PolicyRule = (p) => {
  const { historySeconds: hist, stepSeconds: step } = p.spec
  const needed = RECENT_STEPS * step
  return hist >= needed ? [] : [deny(`spec.historySeconds: ${hist} is less than the model's ${RECENT_STEPS}-step window (${needed} s at stepSeconds ${step})`)]
}

const remediation: PolicyRule = (p) => {
  const r = p.spec.remediation
  const s = p.spec
  const out: Finding[] = []
  if (r.maxUnavailable > s.maxReplicas) out.push(deny(`spec.remediation.maxUnavailable: ${r.maxUnavailable} exceeds maxReplicas ${s.maxReplicas}`))
  if (r.mode === 'Off') return out
  if (r.workloadCooldownSeconds > r.podCooldownSeconds) {
    out.push(warn(`spec.remediation: workloadCooldownSeconds ${r.workloadCooldownSeconds} exceeds podCooldownSeconds ${r.podCooldownSeconds}, so the pod cooldown never applies`))
  }
  if (r.maxRestartsPerHour === 0) out.push(warn(`spec.remediation: maxRestartsPerHour is 0, so mode ${r.mode} never restarts a pod`))
  else if (r.workloadCooldownSeconds * r.maxRestartsPerHour > 3600) {
    out.push(warn(`spec.remediation: workloadCooldownSeconds ${r.workloadCooldownSeconds} allows about ${Math.floor(3600 / r.workloadCooldownSeconds)} restarts per hour, fewer than maxRestartsPerHour ${r.maxRestartsPerHour}`))
  }
  if (r.sustainedSeconds < s.stepSeconds) {
    out.push(warn(`spec.remediation.sustainedSeconds: ${r.sustainedSeconds} is shorter than one step (${s.stepSeconds} s), so a single outlier sample restarts a pod`))
  }
  if (r.mode === 'Enforce' && r.maxUnavailable >= s.minReplicas) {
    out.push(warn(`spec.remediation: at ${s.minReplicas} replica(s), maxUnavailable ${r.maxUnavailable} can restart every pod at once; add a PodDisruptionBudget (evictions honour it)`))
  }
  const ps = s.podSignals
  // Enforce only: DryRun is the default and a policy without pod signals is the common case.
  if (r.mode === 'Enforce' && (ps === undefined || (ps.errorRatioQuery === undefined && ps.latencyQuery === undefined && ps.saturationQuery === undefined))) {
    out.push(warn(`spec.remediation: mode Enforce has no podSignals queries to find outliers with`))
  }
  if (ps?.requestsQuery !== undefined && ps.errorRatioQuery === undefined) {
    out.push(warn(`spec.podSignals.requestsQuery: used only with errorRatioQuery (it sizes the error outlier margin), which is not set`))
  }
  return out
}

const fallback: PolicyRule = (p) => {
  const f = p.spec.fallback
  const s = p.spec
  if (f.behavior !== 'static') {
    return f.replicas !== undefined ? [warn(`spec.fallback.replicas: ignored with behavior ${f.behavior}`)] : []
  }
  if (f.replicas === undefined) return [deny('spec.fallback.replicas: required when fallback.behavior is static')]
  if (f.replicas > s.maxReplicas) return [deny(`spec.fallback.replicas: ${f.replicas} exceeds maxReplicas ${s.maxReplicas}`)]
  if (f.replicas < s.minReplicas) return [deny(`spec.fallback.replicas: ${f.replicas} is below minReplicas ${s.minReplicas}`)]
  return []
}

const uniqueTarget: PolicyRule = (p, ctx) => {
  const ref = p.spec.scaleTargetRef
  const what = `${ref.kind} ${ref.name}`
  if (ctx.others === undefined) return [warn(`spec.scaleTargetRef: could not check whether another ForesightPolicy already targets ${what}`)]
  const clash = ctx.others.filter((o) => o.name !== p.metadata.name && sameTarget(o.target, ref)).map((o) => o.name).sort()
  return clash.length === 0 ? [] : [deny(`spec.scaleTargetRef: ${what} is already targeted by ForesightPolicy ${clash.join(', ')} in namespace ${p.metadata.namespace}`)]
}

const targetExists: PolicyRule = (p, ctx) => {
  const ref = p.spec.scaleTargetRef
  const what = `${ref.kind} ${p.metadata.namespace}/${ref.name}`
  if (ctx.targetExists === undefined) return [warn(`spec.scaleTargetRef: could not check whether ${what} exists`)]
  // A warning only: GitOps tools apply the policy and the workload in any order.
  return ctx.targetExists ? [] : [warn(`spec.scaleTargetRef: ${what} does not exist (yet); no replicas are recommended until it does`)]
}

export const POLICY_RULES: Readonly<Record<string, PolicyRule>> = {
  replicaBounds, queries, horizon, history, remediation, fallback, uniqueTarget, targetExists,
}

/** Every rule over a schema-valid policy (defaults applied). */
export function checkPolicy(p: Policy, ctx: PolicyContext): Findings {
  return toFindings(Object.values(POLICY_RULES).flatMap((rule) => rule(p, ctx)))
}
