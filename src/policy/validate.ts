import type { z } from 'zod'
import { checkPolicy, rawQueryDenials } from './rules.js'
import type { PolicySummary } from './findings.js'
import { policySchema, type Policy } from './schema.js'

type ParseResult = { ok: true; policy: Policy } | { ok: false; errors: string[] }

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

/**
 * What the file source serves: the schema, then every rule of the admission webhook that needs no cluster lookup
 * (PromQL, horizon and history against the step, remediation, fallback), and one target per policy against
 * `others`, the policies of its namespace accepted before it. No webhook sees a policy file, so it is held here
 * to what the webhook would have refused, instead of running with, say, a horizon shorter than a step.
 */
export function parseServablePolicy(obj: unknown, others: readonly PolicySummary[] = []): ParseResult {
  const parsed = parsePolicy(obj)
  // As the webhook answers: a broken query is listed with the schema errors, not only once they are fixed.
  if (!parsed.ok) return { ok: false, errors: [...parsed.errors, ...rawQueryDenials(obj)] }
  const { denials } = checkPolicy(parsed.policy, { others, targetExists: true })
  return denials.length === 0 ? parsed : { ok: false, errors: denials }
}
