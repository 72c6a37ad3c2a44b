import { isDeepStrictEqual } from 'node:util'
import { statusBody, type Status } from '../server/errors.js'
import { GROUP, KIND } from '../policy/schema.js'
import { parsePolicy } from '../policy/validate.js'
import { evictionDenial } from './access.js'
import { parseEnvelope, reply, type AdmissionRequest, type AdmissionReviewReply, type Decision } from './envelope.js'
import { checkHpa, hpaSchema, referencedPolicies } from './hpa-rules.js'
import { defaultingPatch } from './mutate.js'
import { checkPolicy, rawQueryDenials } from '../policy/rules.js'
import { settle } from '../util/settle.js'
import type { ReviewDeps } from './types.js'
import type { PolicySummary } from '../policy/findings.js'

export type ReviewMode = 'validate' | 'mutate'

export interface ReviewResult {
  httpStatus: number
  body: AdmissionReviewReply | Status
}

type Handler = (req: AdmissionRequest, deps: ReviewDeps) => Promise<Decision>

const allow: Decision = { allowed: true }

/**
 * One AdmissionReview in, one out; never throws. A malformed envelope is HTTP 400. A failure while judging an
 * object is a decision: ForesightPolicies fail closed (they are ours, and a bad one would drive scaling), HPAs
 * fail open with a warning (an HPA unrelated to foresight must never be blocked by it).
 */
export async function review(body: unknown, mode: ReviewMode, deps: ReviewDeps): Promise<ReviewResult> {
  try {
    return await judge(body, mode, deps)
  } catch {
    // Only reachable if building the reply itself failed; the apiserver then applies the failure policy.
    return { httpStatus: 500, body: statusBody(500, 'Internal error occurred: the AdmissionReview could not be answered') }
  }
}

async function judge(body: unknown, mode: ReviewMode, deps: ReviewDeps): Promise<ReviewResult> {
  const env = parseEnvelope(body)
  if (!env.ok) return { httpStatus: 400, body: env.status }
  const req = env.request
  const kind = `${req.kind.group}/${req.kind.kind}`
  const isPolicy = req.kind.group === GROUP && req.kind.kind === KIND
  const isHpa = req.kind.group === 'autoscaling' && req.kind.kind === 'HorizontalPodAutoscaler'
  const log = deps.log.child({ uid: req.uid })
  let decision: Decision
  try {
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') decision = allow
    else if (isPolicy) decision = await (mode === 'mutate' ? mutatePolicy : validatePolicy)(req, { ...deps, log })
    else if (isHpa && mode === 'validate') decision = await validateHpa(req, { ...deps, log })
    else {
      if (!isHpa) log.warn({ kind, mode }, 'review of a kind this webhook does not judge; check the webhook configuration rules')
      decision = allow
    }
  } catch (err) {
    log.error({ err, kind, operation: req.operation }, 'admission review failed')
    decision = isPolicy
      ? { allowed: false, status: { code: 500, reason: 'InternalError', message: 'foresight webhook internal error; the ForesightPolicy was not admitted (fail closed), retry or check the webhook logs' } }
      : { allowed: true, warnings: ['foresight webhook internal error: this HPA was admitted without its foresight checks'] }
  }
  log.info({
    kind, operation: req.operation, namespace: req.namespace, name: req.name, mode, allowed: decision.allowed,
    warnings: decision.warnings?.length ?? 0, ...(decision.allowed ? {} : { denied: decision.status?.message }),
  }, 'admission review')
  return { httpStatus: 200, body: reply(req.uid, decision) }
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback)

/** The submitted object with the request's namespace filled in (the apiserver may leave it out of the object). */
function submitted(req: AdmissionRequest): Record<string, unknown> {
  const obj = asObject(req.object)
  if (obj === undefined) throw new Error('request.object is not an object')
  const meta = asObject(obj.metadata) ?? {}
  return { ...obj, metadata: { ...meta, ...(meta.namespace === undefined && req.namespace !== undefined ? { namespace: req.namespace } : {}) } }
}

/**
 * An UPDATE that leaves the spec alone (labels, annotations, finalizers) is always allowed: otherwise an object
 * that predates a stricter rule could never be relabelled or finally deleted.
 */
function specUntouched(req: AdmissionRequest, obj: Record<string, unknown>): boolean {
  if (req.operation !== 'UPDATE') return false
  const old = asObject(req.oldObject)
  return old !== undefined && isDeepStrictEqual(old.spec, obj.spec)
}

/** An UPDATE of an object that is being deleted: its validation rules are not enforced any more. */
function terminating(req: AdmissionRequest, obj: Record<string, unknown>): boolean {
  return req.operation === 'UPDATE' && asObject(obj.metadata)?.deletionTimestamp != null
}

function denial(what: string, denials: readonly string[]): Decision['status'] {
  return { code: 422, reason: 'Invalid', message: `${what} is invalid: ${denials.join('; ')}` }
}

const validatePolicy: Handler = async (req, deps) => {
  const obj = submitted(req)
  if (specUntouched(req, obj)) return allow
  const parsed = parsePolicy(obj)
  const meta = asObject(obj.metadata)
  const label = `ForesightPolicy ${text(meta?.namespace, 'default')}/${text(meta?.name, req.name ?? '')}`
  if (terminating(req, obj)) {
    // Rules are moot for an object on its way out, but a spec change could still turn it into Enforce while a
    // finalizer keeps it alive: the eviction check stays.
    const forbidden = parsed.ok ? await evictionDenial(req, parsed.policy, deps) : undefined
    return forbidden === undefined ? allow : { allowed: false, status: forbidden }
  }
  if (!parsed.ok) return { allowed: false, status: denial(label, [...parsed.errors, ...rawQueryDenials(obj)]) }
  const p = parsed.policy
  const ns = p.metadata.namespace
  const [others, exists, forbidden] = await Promise.all([
    settle(() => deps.lookups.policiesInNamespace(ns), deps.lookupTimeoutMs),
    settle(() => deps.lookups.targetExists(ns, p.spec.scaleTargetRef), deps.lookupTimeoutMs),
    evictionDenial(req, p, deps),
  ])
  if (!others.ok) deps.log.warn({ reason: others.reason, namespace: ns }, 'listing ForesightPolicies failed; duplicate target not checked')
  if (!exists.ok) deps.log.warn({ reason: exists.reason, namespace: ns }, 'reading the scale target failed; existence not checked')
  const findings = checkPolicy(p, {
    ...(others.ok ? { others: others.value } : {}),
    ...(exists.ok ? { targetExists: exists.value } : {}),
  })
  // Authorization before validation, as in the apiserver: a user who may not evict learns that first.
  if (forbidden !== undefined) return { allowed: false, status: forbidden, warnings: findings.warnings }
  if (findings.denials.length > 0) return { allowed: false, status: denial(label, findings.denials), warnings: findings.warnings }
  return { allowed: true, warnings: findings.warnings }
}

// Like validation, an UPDATE that leaves the spec alone is left alone: defaulting a policy stored before this
// webhook existed would turn a relabel into a spec change that validation then judges.
const mutatePolicy: Handler = async (req) => {
  const obj = submitted(req)
  return specUntouched(req, obj) ? allow : { allowed: true, patch: defaultingPatch(obj) }
}

const validateHpa: Handler = async (req, deps) => {
  const obj = submitted(req)
  if (specUntouched(req, obj)) return allow
  const parsed = hpaSchema.safeParse(obj)
  if (!parsed.success) {
    // The apiserver validated the HPA before us; a shape we cannot read is not ours to refuse.
    deps.log.debug({ issue: parsed.error.issues[0]?.message }, 'HPA not readable by the foresight rules; allowed')
    return allow
  }
  const hpa = parsed.data
  const ns = hpa.metadata.namespace ?? 'default'
  const names = referencedPolicies(hpa)
  const policies = new Map<string, PolicySummary | null>()
  await Promise.all(names.map(async (name) => {
    const r = await settle(() => deps.lookups.findPolicy(ns, name), deps.lookupTimeoutMs)
    if (r.ok) policies.set(name, r.value ?? null)
    else deps.log.warn({ reason: r.reason, namespace: ns, policy: name }, 'reading the ForesightPolicy failed; existence not checked')
  }))
  const findings = checkHpa(hpa, { policies })
  const label = `HorizontalPodAutoscaler ${ns}/${hpa.metadata.name ?? req.name ?? ''}`
  if (findings.denials.length > 0) return { allowed: false, status: denial(label, findings.denials), warnings: findings.warnings }
  return { allowed: true, warnings: findings.warnings }
}
