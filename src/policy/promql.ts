import { parser } from '@prometheus-io/lezer-promql'
import { MAX_QUERY_CHARS } from '../policy/schema.js'

type PromQLCheck = { ok: true } | { ok: false; message: string }

const SNIPPET_CHARS = 20

/**
 * Syntax check with the Prometheus project's own grammar, so a query accepted here is one Prometheus parses.
 * Only the first error is reported: lezer recovers and later error nodes are usually consequences of the first.
 * Semantics (a range vector where an instant vector is wanted) are left to Prometheus at query time.
 */
export function checkPromQL(query: string): PromQLCheck {
  // Measured before parsing: the parser's time grows with the input (a megabyte blocks the event loop for
  // seconds) and a long enough chain of operators overflows its stack.
  if (query.length > MAX_QUERY_CHARS) return { ok: false, message: `longer than ${MAX_QUERY_CHARS} characters` }
  if (query.trim() === '') return { ok: false, message: 'empty query' }
  const tree = parser.parse(query)
  let errorAt: number | undefined
  tree.iterate({
    enter: (node) => {
      if (errorAt !== undefined) return false
      if (node.type.isError) {
        errorAt = node.from
        return false
      }
      return undefined
    },
  })
  if (errorAt === undefined) return { ok: true }
  return { ok: false, message: `syntax error at ${position(query, errorAt)}: ${near(query, errorAt)}` }
}

function position(query: string, offset: number): string {
  const before = query.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - (before.lastIndexOf('\n') + 1) + 1
  return `line ${line}, column ${column}`
}

function near(query: string, offset: number): string {
  if (query.slice(offset).trim() === '') return 'unexpected end of query'
  const rest = query.slice(offset).replace(/\s+/g, ' ')
  const snippet = rest.length > SNIPPET_CHARS ? `${rest.slice(0, SNIPPET_CHARS)}…` : rest
  return `unexpected input near ${JSON.stringify(snippet)}`
}
