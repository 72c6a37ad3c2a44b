import type { UserInfo } from '../auth/types.js'
import { type AccessAttributes, type WebhookLookups } from './types.js'
import { sameTarget, type PolicySummary, type TargetRef } from '../policy/findings.js'

// In-memory cluster state for the webhook's lookups: tests, and local runs without a cluster.

export interface MemoryState {
  /** ForesightPolicies by namespace. */
  policies?: Record<string, PolicySummary[]>
  /** Workloads by namespace. */
  workloads?: Record<string, TargetRef[]>
  /** The fake authorizer behind reviewAccess; unset, nobody may do anything. */
  allow?: (user: UserInfo, attrs: AccessAttributes) => boolean
  /** Every lookup fails with this message (an unreachable or forbidden API). */
  failWith?: string
  /** Every lookup answers after this long (a slow API). */
  delayMs?: number
}

/** A namespace's entry: own properties only, since a namespace may be named `constructor`. */
function inNamespace<T>(byNamespace: Record<string, T[]> | undefined, ns: string): T[] {
  return byNamespace !== undefined && Object.hasOwn(byNamespace, ns) ? byNamespace[ns] ?? [] : []
}

export function memoryLookups(state: MemoryState): WebhookLookups {
  const answer = async <T>(value: () => T): Promise<T> => {
    if (state.delayMs !== undefined) await new Promise((r) => setTimeout(r, state.delayMs))
    if (state.failWith !== undefined) throw new Error(state.failWith)
    return value()
  }
  return {
    policiesInNamespace: (ns) => answer(() => [...inNamespace(state.policies, ns)]),
    findPolicy: (ns, name) => answer(() => inNamespace(state.policies, ns).find((p) => p.name === name)),
    targetExists: (ns, target) => answer(() => inNamespace(state.workloads, ns).some((w) => sameTarget(w, target))),
    reviewAccess: (user, attrs) => answer(() => {
      const allowed = state.allow?.(user, attrs) === true
      return { allowed, reason: allowed ? 'allowed by the in-memory authorizer' : '' }
    }),
  }
}
