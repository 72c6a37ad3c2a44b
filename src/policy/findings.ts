// What the policy and HPA rules report, and the workload references they compare.

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
