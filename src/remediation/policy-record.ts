import { remediationSchema } from '../policy/schema.js'
import type { Remediation } from './decide.js'

// The policy as the controller reads it before acting: the status subresource's GET (StatusClient.get) answers
// with the whole object, so the read that brings the restart record also brings the spec as it is now, not as
// the (possibly failing) watch last delivered it. Mode and budgets are re-checked against it.

/** spec.remediation of a freshly read spec, defaults applied; undefined when there is no spec or it does not parse. */
export function freshRemediation(spec: unknown): Remediation | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined
  const parsed = remediationSchema.safeParse((spec as { remediation?: unknown }).remediation ?? {})
  return parsed.success ? parsed.data : undefined
}

const MODE_RANK: Record<Remediation['mode'], number> = { Off: 0, DryRun: 1, Enforce: 2 }

/**
 * The stricter of two readings of a policy's remediation settings: the lower mode (Off < DryRun < Enforce), the
 * lower budgets, the longer waits, the classes both allow. The cached spec can be stale in either direction; neither may loosen the other.
 */
export function stricter(a: Remediation, b: Remediation): Remediation {
  return {
    ...a,
    mode: MODE_RANK[b.mode] < MODE_RANK[a.mode] ? b.mode : a.mode,
    maxUnavailable: Math.min(a.maxUnavailable, b.maxUnavailable),
    maxRestartsPerHour: Math.min(a.maxRestartsPerHour, b.maxRestartsPerHour),
    podCooldownSeconds: Math.max(a.podCooldownSeconds, b.podCooldownSeconds),
    workloadCooldownSeconds: Math.max(a.workloadCooldownSeconds, b.workloadCooldownSeconds),
    minPodAgeSeconds: Math.max(a.minPodAgeSeconds, b.minPodAgeSeconds),
    sustainedSeconds: Math.max(a.sustainedSeconds, b.sustainedSeconds),
    classes: a.classes.filter((c) => b.classes.includes(c)),
  }
}
