import { isDeepStrictEqual } from 'node:util'
import { z } from 'zod'
import type { UserInfo } from '../auth/types.js'
import type { Policy } from '../policy/schema.js'
import type { AdmissionRequest, Decision } from './envelope.js'
import type { ReviewDeps } from './types.js'
import { settle } from '../util/settle.js'
import type { AccessAttributes } from './types.js'

// Remediation mode Enforce makes the controller evict pods in the policy's namespace with its own cluster-wide
// `pods/eviction create`. Without this check, anyone who may write a ForesightPolicy could have pods evicted
// that they may not evict themselves. So whoever writes an Enforce policy must hold that permission: the
// webhook asks the apiserver (SubjectAccessReview) on behalf of the admission request's user.

/** The permission Enforce borrows from the controller: create pods/eviction in the policy's namespace. */
export function evictionAttributes(namespace: string): AccessAttributes {
  return { verb: 'create', group: '', version: 'v1', resource: 'pods', subresource: 'eviction', namespace }
}

export interface PolicyWrite {
  operation: 'CREATE' | 'UPDATE'
  /** Remediation mode after the write, defaults applied. */
  mode: Policy['spec']['remediation']['mode']
  /** spec as submitted, and as stored before an UPDATE (undefined when the apiserver sent none). */
  spec: unknown
  oldSpec?: unknown
}

/**
 * Whether the author of a write must be allowed to evict pods in the namespace. Pure.
 *
 * Only writes that leave the policy in Enforce; then every CREATE, and every UPDATE that changes the spec. Not
 * only mode and scaleTargetRef: podSignals and the remediation budgets decide which pods are evicted and how
 * often, so an UPDATE of an Enforce policy by someone without eviction rights would still escalate. Lowering
 * the mode (Enforce to DryRun or Off) and metadata-only UPDATEs need nothing.
 */
export function evictionReviewNeeded(w: PolicyWrite): boolean {
  if (w.mode !== 'Enforce') return false
  if (w.operation === 'CREATE') return true
  return !isDeepStrictEqual(w.oldSpec, w.spec)
}

const userInfoSchema = z.object({
  username: z.string().min(1),
  uid: z.string().nullish(),
  groups: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
}).loose()

/** request.userInfo as the adapter's UserInfo; undefined when the request names no user. */
export function requestUser(req: AdmissionRequest): UserInfo | undefined {
  const parsed = userInfoSchema.safeParse((req as { userInfo?: unknown }).userInfo)
  if (!parsed.success) return undefined
  const u = parsed.data
  return {
    username: u.username,
    ...(u.uid != null && u.uid !== '' ? { uid: u.uid } : {}),
    groups: u.groups ?? [],
    extra: Object.fromEntries(Object.entries(u.extra ?? {}).map(([k, v]) => [k, v ?? []])),
  }
}

const PERMISSION = 'create resource "pods/eviction" in API group ""'

/**
 * The denial for an Enforce write whose author may not evict pods in the namespace, or undefined when the write
 * needs no review or the review allows it. Never throws: a review that fails or times out denies (fail closed),
 * with the cause in the log only.
 */
export async function evictionDenial(req: AdmissionRequest, p: Policy, deps: ReviewDeps): Promise<Decision['status'] | undefined> {
  const oldSpec = (req.oldObject as { spec?: unknown } | null | undefined)?.spec
  const write: PolicyWrite = {
    operation: req.operation === 'CREATE' ? 'CREATE' : 'UPDATE',
    mode: p.spec.remediation.mode,
    spec: (req.object as { spec?: unknown }).spec,
    ...(req.operation === 'UPDATE' ? { oldSpec } : {}),
  }
  if (!evictionReviewNeeded(write)) return undefined
  const ns = p.metadata.namespace
  const label = `ForesightPolicy ${ns}/${p.metadata.name}`
  const why = `remediation mode Enforce makes the foresight controller evict pods on the policy's behalf (set mode DryRun, or get that permission)`
  const user = requestUser(req)
  if (user === undefined) {
    deps.log.warn({ namespace: ns }, 'Enforce policy without request.userInfo; denied')
    return { code: 403, reason: 'Forbidden', message: `${label} is forbidden: the request names no user who could be allowed to ${PERMISSION} in the namespace "${ns}"; ${why}` }
  }
  const r = await settle(() => deps.lookups.reviewAccess(user, evictionAttributes(ns)), deps.lookupTimeoutMs)
  if (!r.ok) {
    deps.log.warn({ reason: r.reason, namespace: ns, user: user.username }, 'SubjectAccessReview for pods/eviction failed; Enforce policy denied (fail closed)')
    return {
      code: 500, reason: 'InternalError',
      message: `${label} was not admitted (fail closed): the foresight webhook could not verify that user "${user.username}" may ${PERMISSION} in the namespace "${ns}", which remediation mode Enforce requires; retry, or check the webhook logs`,
    }
  }
  if (r.value.allowed) return undefined
  deps.log.info({ namespace: ns, user: user.username, reason: r.value.reason }, 'user may not evict pods; Enforce policy denied')
  return { code: 403, reason: 'Forbidden', message: `${label} is forbidden: User "${user.username}" cannot ${PERMISSION} in the namespace "${ns}"; ${why}` }
}
