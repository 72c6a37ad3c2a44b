import type { z } from 'zod'
import { policySchema, type Policy } from './schema.js'

export type ParseResult = { ok: true; policy: Policy } | { ok: false; errors: string[] }

/**
 * Validates one ForesightPolicy object (defaults applied) the same way for the admission webhook, the file source
 * and the cluster source, so a policy accepted by one is accepted by all. Every problem is listed, path first.
 */
export function parsePolicy(obj: unknown): ParseResult {
  const result = policySchema.safeParse(obj, { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined) })
  if (result.success) return { ok: true, policy: result.data }
  return { ok: false, errors: result.error.issues.flatMap(describeIssue) }
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const where = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${where === '' ? k : `${where}.${k}`}: unknown field`)
  return [`${where === '' ? '(root)' : where}: ${issue.message}`]
}
