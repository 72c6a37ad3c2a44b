/**
 * Grouping of load queries. Policies usually differ only in label values of the same query, e.g.
 *   sum(rate(http_requests_total{namespace="a",service="x"}[5m]))
 *   sum(rate(http_requests_total{namespace="b",service="y"}[5m]))
 * These are read with ONE query that keeps the differing labels apart and is split back by them:
 *   sum by (namespace, service) (rate(http_requests_total{namespace=~"a|b",service=~"x|y"}[5m]))
 * Only the simple form AGG(FN(metric{matchers}[window])) is grouped, where each policy's series is exactly one
 * `by` group: every by-label is pinned by an equality matcher in each member, so a group holds the same input
 * series as the member's own query (extra combinations the regexes admit, like a/y, are simply not used).
 * Anything else is read with its own query.
 */
import { ExtraSeriesError, MissingSeriesError } from './errors.js'
import type { RawSeries } from './parse.js'
import { pushTo } from '../util/group.js'
import { DEFAULT_MAX_GROUP_SIZE } from '../config/defaults.js'

const AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count'])
const FUNCTIONS = new Set(['rate', 'irate', 'increase'])

interface Matcher {
  name: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

export interface SimpleQuery {
  aggregation: string
  fn: string
  metric: string
  window: string
  matchers: Matcher[]
}

const SIMPLE = /^\s*([a-z]+)\s*\(\s*([a-z]+)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([^{}]*)\})?\s*\[\s*(\d+(?:ms|[smhdwy]))\s*\]\s*\)\s*\)\s*$/
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/

/** The parts of a simple AGG(FN(metric{...}[w])) query, or undefined for any other form. */
export function parseSimpleQuery(query: string): SimpleQuery | undefined {
  const m = SIMPLE.exec(query)
  if (m === null) return undefined
  const [, aggregation = '', fn = '', metric = '', body = '', window = ''] = m
  if (!AGGREGATIONS.has(aggregation) || !FUNCTIONS.has(fn)) return undefined
  const matchers: Matcher[] = []
  let rest = body
  while (rest.trim() !== '') {
    const mm = MATCHER.exec(rest)
    if (mm === null) return undefined
    const [whole, name = '', op = '=', raw = ''] = mm
    let value: string
    try {
      value = JSON.parse(`"${raw}"`) as string
    } catch {
      return undefined
    }
    if (name === '__name__' || matchers.some((x) => x.name === name)) return undefined
    matchers.push({ name, op: op as Matcher['op'], value })
    rest = rest.slice(whole.length)
  }
  return { aggregation, fn, metric, window, matchers }
}

/** Queries with the same shape differ only in the values of their equality matchers. */
export function shapeKey(q: SimpleQuery): string {
  const fixed = q.matchers.filter((m) => m.op !== '=').map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).sort()
  const eq = q.matchers.filter((m) => m.op === '=').map((m) => m.name).sort()
  return JSON.stringify([q.aggregation, q.fn, q.metric, q.window, fixed, eq])
}

/** RE2 (Prometheus's regex engine) metacharacters escaped, so a value matches only itself. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')
}

export interface PlanMember {
  key: string
  /** For grouped plans, the by-label values that select this member's series. */
  match?: Readonly<Record<string, string>>
}

export interface QueryPlan {
  query: string
  members: PlanMember[]
  grouped: boolean
}

/** A query that can be grouped, with its shape key. */
export interface Shaped { parsed: SimpleQuery; shape: string }

/** The groupable form of `query` (simple, with at least one equality matcher), or undefined. */
export function shaped(query: string): Shaped | undefined {
  const parsed = parseSimpleQuery(query)
  if (parsed === undefined || !parsed.matchers.some((m) => m.op === '=')) return undefined
  return { parsed, shape: shapeKey(parsed) }
}

/**
 * One plan per distinct query, except that simple queries of the same shape are merged (up to maxGroupSize
 * distinct queries per plan). Policies with the identical query share a plan either way. `shapeOf` may be a
 * cached `shaped`: parsing is most of the cost.
 */
export function planQueries(items: ReadonlyArray<{ key: string; query: string }>, maxGroupSize = DEFAULT_MAX_GROUP_SIZE, shapeOf: (query: string) => Shaped | undefined = shaped): QueryPlan[] {
  const byText = new Map<string, string[]>()
  for (const { key, query } of items) pushTo(byText, query, key)
  const plans: QueryPlan[] = []
  const shapes = new Map<string, Array<{ parsed: SimpleQuery; query: string; keys: string[] }>>()
  for (const [query, keys] of byText) {
    const s = shapeOf(query)
    if (s === undefined) {
      plans.push({ query, members: keys.map((key) => ({ key })), grouped: false })
      continue
    }
    pushTo(shapes, s.shape, { parsed: s.parsed, query, keys })
  }
  for (const group of shapes.values()) {
    for (let i = 0; i < group.length; i += maxGroupSize) {
      const chunk = group.slice(i, i + maxGroupSize)
      const [first] = chunk
      if (first === undefined) continue
      if (chunk.length === 1) {
        plans.push({ query: first.query, members: first.keys.map((key) => ({ key })), grouped: false })
        continue
      }
      plans.push(mergeChunk(chunk))
    }
  }
  return plans
}

function eqValue(q: SimpleQuery, name: string): string {
  return q.matchers.find((m) => m.op === '=' && m.name === name)?.value ?? ''
}

function mergeChunk(chunk: ReadonlyArray<{ parsed: SimpleQuery; query: string; keys: string[] }>): QueryPlan {
  const first = chunk[0]?.parsed
  if (first === undefined) throw new Error('empty chunk')
  const eqNames = first.matchers.filter((m) => m.op === '=').map((m) => m.name).sort()
  const varying = eqNames.filter((n) => new Set(chunk.map((c) => eqValue(c.parsed, n))).size > 1)
  const matchers = first.matchers.map((m) => {
    if (m.op !== '=' || !varying.includes(m.name)) return `${m.name}${m.op}${JSON.stringify(m.value)}`
    const values = [...new Set(chunk.map((c) => eqValue(c.parsed, m.name)))].sort()
    return `${m.name}=~${JSON.stringify(values.map(escapeRegex).join('|'))}`
  })
  const query = `${first.aggregation} by (${varying.join(', ')}) (${first.fn}(${first.metric}{${matchers.join(',')}}[${first.window}]))`
  const members = chunk.flatMap((c) => {
    const match = Object.fromEntries(varying.map((n) => [n, eqValue(c.parsed, n)]))
    return c.keys.map((key) => ({ key, match }))
  })
  return { query, members, grouped: true }
}

/** Each member's series from a grouped answer; a member whose group is absent gets a MissingSeriesError. */
export function splitGrouped(series: readonly RawSeries[], plan: QueryPlan, memberQuery: (key: string) => string): Map<string, RawSeries | MissingSeriesError | ExtraSeriesError> {
  const out = new Map<string, RawSeries | MissingSeriesError | ExtraSeriesError>()
  for (const m of plan.members) {
    const match = m.match ?? {}
    const hits = series.filter((s) => Object.entries(match).every(([k, v]) => (s.labels[k] ?? '') === v))
    const [one] = hits
    out.set(m.key, one === undefined ? new MissingSeriesError(memberQuery(m.key)) : hits.length > 1 ? new ExtraSeriesError(memberQuery(m.key), hits.map((h) => h.labels)) : one)
  }
  return out
}
