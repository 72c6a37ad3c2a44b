import type { Attributes, AuthzDecision, UserInfo } from '../auth/types.js'

// Shared shapes of the admission webhook: what the rules report and what they need to know about the cluster.

/** A workload reference, defaults applied (apps/v1 Deployment). */
export interface TargetRef {
  apiVersion: string
  kind: string
  name: string
}

/** The part of another ForesightPolicy the rules look at. */
export interface PolicySummary {
  name: string
  target: TargetRef
}

/**
 * A namespaced resource request to authorize: the adapter's resource attributes (src/auth/types.ts) plus the
 * subresource, which the webhook needs (pods/eviction) and the adapter's metric requests never have.
 */
export type AccessAttributes = Omit<Extract<Attributes, { kind: 'resource' }>, 'kind'>

/**
 * What the webhook asks the cluster. Implementations throw when the API cannot answer (timeout, RBAC, outage);
 * the review turns a failed lookup into a warning, so a cluster problem never becomes a crash. A failed access
 * review is the exception: it denies the policy (see access.ts).
 */
export interface WebhookLookups {
  /** Every ForesightPolicy in the namespace. */
  policiesInNamespace(namespace: string): Promise<PolicySummary[]>
  /** The named ForesightPolicy, or undefined when it does not exist. */
  findPolicy(namespace: string, name: string): Promise<PolicySummary | undefined>
  /** Whether the workload exists. */
  targetExists(namespace: string, target: TargetRef): Promise<boolean>
  /** A SubjectAccessReview: may `user` (the admission request's userInfo) do `attrs`? */
  reviewAccess(user: UserInfo, attrs: AccessAttributes): Promise<AuthzDecision>
}

export interface Findings {
  /** Reasons to refuse the object; empty means allowed. */
  denials: string[]
  /** Shown to the user by kubectl; never block. */
  warnings: string[]
}

export type Finding = { level: 'deny' | 'warn'; message: string }

export function toFindings(list: readonly Finding[]): Findings {
  return {
    denials: list.filter((f) => f.level === 'deny').map((f) => f.message),
    warnings: list.filter((f) => f.level === 'warn').map((f) => f.message),
  }
}

/** API group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

export function sameTarget(a: TargetRef, b: TargetRef): boolean {
  return a.name === b.name && a.kind === b.kind && groupOf(a.apiVersion) === groupOf(b.apiVersion)
}
