import type { Logger } from 'pino'
import type { Attributes, AuthzDecision, UserInfo } from '../auth/types.js'
import type { PolicySummary, TargetRef } from '../policy/findings.js'

// Shared shapes of the admission webhook: what the rules report and what they need to know about the cluster.

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

/** What a review needs besides the request. */
export interface ReviewDeps {
  lookups: WebhookLookups
  /** Deadline of each cluster lookup; keep it well under the webhook's timeoutSeconds. */
  lookupTimeoutMs: number
  log: Logger
}
