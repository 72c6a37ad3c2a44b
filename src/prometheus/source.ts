/**
 * The engine's entry point to Prometheus: one call reads the load history of many policies (grouped queries where
 * the shapes allow, one query per policy otherwise), and one call reads their per-pod signals. Nothing throws out
 * of a batch: every policy gets its own result, so one bad query cannot hide the others.
 */
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { HistoryReader, WindowResult } from '../ports.js'
import type { Policy } from '../policy/schema.js'
import { policyKey } from '../policy/key.js'
import { planQueries, shaped, splitGrouped, type QueryPlan, type Shaped } from './batch.js'
import { createPrometheusClient, type PrometheusClient, type PrometheusClientOptions } from './client.js'
import { PrometheusError } from './errors.js'
import { byPod, expectOne, gridLength, resample, type RawSeries } from './parse.js'
import { type Window } from '../ports.js'
import { withResilience, type Querier, type ResilienceOptions } from './resilient.js'
import { pushTo } from '../util/group.js'
import { DEFAULT_MAX_GROUP_SIZE } from '../config/defaults.js'

export interface FetchRange {
  startMs: number
  endMs: number
  stepSeconds: number
}

export type SeriesResult = { ok: true; window: Window } | { ok: false; error: PrometheusError }

/** `requests`: the request count behind each pod's error ratio, which sizes the error class's noise; not scored itself. */
export type PodSignalName = 'errorRatio' | 'latency' | 'saturation' | 'requests'
type PodSignalResult = { ok: true; pods: Map<string, Window> } | { ok: false; error: PrometheusError }
/** The windows of each signal a policy configures, per pod; absent keys were not configured. */
export type PodSignalWindows = Partial<Record<PodSignalName, PodSignalResult>>

/** Prometheus refuses query_range answers above this many points per series. */
const MAX_POINTS_PER_SERIES = 11_000

interface PrometheusSourceOptions {
  querier: Querier
  log: Logger
  /** Largest number of distinct queries merged into one (default DEFAULT_MAX_GROUP_SIZE). */
  maxGroupSize?: number
  /** Turns grouping off (one query per distinct query text). */
  grouping?: boolean
}

const SIGNAL_QUERIES: ReadonlyArray<[PodSignalName, 'errorRatioQuery' | 'latencyQuery' | 'saturationQuery' | 'requestsQuery']> = [
  ['errorRatio', 'errorRatioQuery'],
  ['latency', 'latencyQuery'],
  ['saturation', 'saturationQuery'],
  ['requests', 'requestsQuery'],
]

export class PrometheusSource implements HistoryReader {
  // A refresh reads three ranges of the same policies, and the next refresh usually the same policies again:
  // planning parses every query (tens of ms for 10,000, and the three reads plan back to back before the
  // first await), so the plans of the last few policy sets (one per step) are kept and made again only when a
  // policy or its query changes.
  private readonly plans = new LRUCache<string, QueryPlan[]>({ max: 4 })
  // And when the set changes (one policy edited among thousands), only new query texts are parsed again.
  private readonly shapes = new LRUCache<string, { s: Shaped | undefined }>({ max: 20_000 })

  constructor(private readonly opts: PrometheusSourceOptions) {}

  get endpoint(): string {
    return this.opts.querier.endpoint
  }

  /** policyKey -> the policy's load on the grid [start, end] (NaN for gaps), or why it could not be read. */
  async fetchLoadHistory(policies: readonly Policy[], range: FetchRange): Promise<Map<string, SeriesResult>> {
    const out = new Map<string, SeriesResult>()
    const bad = checkRange(range)
    if (bad !== undefined) {
      for (const p of policies) out.set(policyKey(p), { ok: false, error: bad })
      return out
    }
    const queryOf = new Map(policies.map((p) => [policyKey(p), p.spec.load.query]))
    const items = [...queryOf].map(([key, query]) => ({ key, query }))
    const plans = this.planFor(items)
    const stepMs = range.stepSeconds * 1000
    await Promise.all(
      plans.map(async (plan) => {
        const answer = await this.run(plan.query, range, plan.members.map((m) => m.key))
        if (answer instanceof PrometheusError) {
          for (const m of plan.members) out.set(m.key, { ok: false, error: answer })
          return
        }
        const perMember = plan.grouped ? splitGrouped(answer, plan, (k) => queryOf.get(k) ?? plan.query) : ungrouped(answer, plan)
        for (const [key, r] of perMember) {
          out.set(key, r instanceof PrometheusError ? { ok: false, error: r } : { ok: true, window: resample(r, range.startMs, range.endMs, stepMs) })
        }
      }),
    )
    return out
  }

  private planFor(items: ReadonlyArray<{ key: string; query: string }>): QueryPlan[] {
    const groupSize = this.opts.grouping === false ? 1 : this.opts.maxGroupSize ?? DEFAULT_MAX_GROUP_SIZE
    const signature = items.map((i) => `${i.key}\u0000${i.query}`).join('\u0001')
    const cached = this.plans.get(signature)
    if (cached !== undefined) return cached
    const plans = planQueries(items, groupSize, (query) => {
      let hit = this.shapes.get(query)
      if (hit === undefined) {
        hit = { s: shaped(query) }
        this.shapes.set(query, hit)
      }
      return hit.s
    })
    this.plans.set(signature, plans)
    return plans
  }

  /** policyKey -> signal -> pod -> series, for the policies that configure pod signals. */
  async fetchPodSignals(policies: readonly Policy[], range: FetchRange): Promise<Map<string, PodSignalWindows>> {
    const out = new Map<string, PodSignalWindows>()
    const wanted: Array<{ key: string; signal: PodSignalName; query: string; podLabel: string }> = []
    for (const p of policies) {
      const ps = p.spec.podSignals
      if (ps === undefined) continue
      out.set(policyKey(p), {})
      for (const [signal, field] of SIGNAL_QUERIES) {
        const query = ps[field]
        if (query !== undefined) wanted.push({ key: policyKey(p), signal, query, podLabel: ps.podLabel })
      }
    }
    const bad = checkRange(range)
    const stepMs = range.stepSeconds * 1000
    const byQuery = new Map<string, typeof wanted>()
    for (const w of wanted) pushTo(byQuery, w.query, w)
    await Promise.all(
      [...byQuery].map(async ([query, users]) => {
        const answer = bad ?? (await this.run(query, range, users.map((u) => u.key)))
        for (const u of users) {
          const signals = out.get(u.key) ?? {}
          if (answer instanceof PrometheusError) {
            signals[u.signal] = { ok: false, error: answer }
            continue
          }
          try {
            const pods = new Map([...byPod(answer, u.podLabel, query)].map(([pod, s]) => [pod, resample(s, range.startMs, range.endMs, stepMs)]))
            signals[u.signal] = { ok: true, pods }
          } catch (err) {
            signals[u.signal] = { ok: false, error: asPrometheusError(err) }
          }
        }
      }),
    )
    return out
  }

  /** HistoryReader for the engine: the same results with errors as messages. */
  async read(policies: readonly Policy[], range: FetchRange): Promise<Map<string, WindowResult>> {
    const res = await this.fetchLoadHistory(policies, range)
    return new Map([...res].map(([k, r]): [string, WindowResult] => [k, r.ok ? r : { ok: false, error: r.error.message, ...(r.error.kind === 'missing-series' ? { noSeries: true as const } : {}) }]))
  }

  private async run(query: string, range: FetchRange, keys: readonly string[]): Promise<RawSeries[] | PrometheusError> {
    try {
      return await this.opts.querier.queryRange(query, range)
    } catch (err) {
      const e = asPrometheusError(err)
      this.opts.log.warn({ policies: keys.slice(0, 10), policyCount: keys.length, kind: e.kind, err: e.message }, 'Prometheus query failed')
      return e
    }
  }
}

export type CreateSourceOptions = PrometheusClientOptions & ResilienceOptions & { log: Logger; maxGroupSize?: number; grouping?: boolean }

/** Client, retries/limits/breaker and the batch reader in one, as the engine wires it. */
export function createPrometheusSource(opts: CreateSourceOptions): { source: PrometheusSource; client: PrometheusClient; querier: Querier } {
  const client = createPrometheusClient(opts)
  const querier = withResilience(client, opts.log, opts)
  const source = new PrometheusSource({ querier, log: opts.log, ...(opts.maxGroupSize !== undefined ? { maxGroupSize: opts.maxGroupSize } : {}), ...(opts.grouping !== undefined ? { grouping: opts.grouping } : {}) })
  return { source, client, querier }
}

function ungrouped(series: readonly RawSeries[], plan: QueryPlan): Map<string, RawSeries | PrometheusError> {
  let one: RawSeries | PrometheusError
  try {
    one = expectOne(series, plan.query)
  } catch (err) {
    one = asPrometheusError(err)
  }
  return new Map(plan.members.map((m) => [m.key, one]))
}

function checkRange(range: FetchRange): PrometheusError | undefined {
  if (!(range.stepSeconds > 0) || !Number.isFinite(range.startMs) || !(range.endMs >= range.startMs)) {
    return new PrometheusError('bad-query', `unable to query Prometheus: bad range [${range.startMs}, ${range.endMs}] step ${range.stepSeconds} s`, false)
  }
  const points = gridLength(range.startMs, range.endMs, range.stepSeconds * 1000)
  if (points > MAX_POINTS_PER_SERIES) {
    return new PrometheusError('bad-query', `unable to query Prometheus: the range holds ${points} steps, more than the ${MAX_POINTS_PER_SERIES} Prometheus answers per series`, false)
  }
  return undefined
}

function asPrometheusError(err: unknown): PrometheusError {
  if (err instanceof PrometheusError) return err
  return new PrometheusError('invalid-answer', `unable to use Prometheus's answer: ${err instanceof Error ? err.message : String(err)}`, false)
}
