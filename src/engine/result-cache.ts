import type { Logger } from 'pino'
import type { Policy } from '../policy/schema.js'
import { onFailure, servedText, type LastGood } from './fallback.js'
import type { PolicyResult } from './types.js'

/** What the staleness backstop needs of a policy, as of the commit of its result. */
export interface Backstop {
  maxStalenessSeconds: number
  fallback: Policy['spec']['fallback']
  failures: number
  lastGood?: LastGood
}

/** A result as the API reads it, with what the backstop needs; plain data, so it crosses a thread as it is. */
export interface CommittedResult {
  result: PolicyResult
  /** The result's age, for the backstop, counts from here. */
  atMs: number
  /** Absent: never overdue (a result committed before its policy's spec was known). */
  backstop?: Backstop
}

interface Entry extends CommittedResult {
  /** Its overdue episode was logged already (once per episode, not on every API read). */
  overdueLogged: boolean
}

interface ResultCacheOptions {
  log: Logger
  now: () => number
  /** How often results are replaced: a result is overdue once older than maxStalenessSeconds plus this. */
  refreshIntervalMs?: number
}

/**
 * The results the API serves, one per policy, each replaced whole. Shared by the engine (written by its refresh)
 * and by the engine's worker-thread host (written from the worker's messages), so both serve through one backstop.
 */
export class ResultCache {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly opts: ResultCacheOptions) {}

  put(key: string, c: CommittedResult): void {
    this.entries.set(key, { ...c, overdueLogged: false })
  }

  /** Everything committed, handed over to another thread that serves it: this cache is left empty. */
  take(): Array<[string, CommittedResult]> {
    const out = [...this.entries].map(([k, { overdueLogged: _, ...c }]): [string, CommittedResult] => [k, c])
    this.entries.clear()
    return out
  }

  result(key: string): PolicyResult | undefined {
    const c = this.entries.get(key)
    return c === undefined ? undefined : this.serve(c, this.opts.now())
  }

  *allResults(namespace?: string): IterableIterator<PolicyResult> {
    const nowMs = this.opts.now()
    for (const c of this.entries.values()) if (namespace === undefined || c.result.namespace === namespace) yield this.serve(c, nowMs)
  }

  /** The results of these policies of the namespace that have one: a lookup each, however many policies there are. */
  *resultsNamed(namespace: string, names: Iterable<string>): IterableIterator<PolicyResult> {
    const nowMs = this.opts.now()
    for (const name of names) {
      const c = this.entries.get(`${namespace}/${name}`)
      if (c !== undefined) yield this.serve(c, nowMs)
    }
  }

  retain(keys: ReadonlySet<string>): void {
    for (const k of [...this.entries.keys()]) if (!keys.has(k)) this.entries.delete(k)
  }

  /**
   * The backstop behind the failure path: a result that no refresh has replaced for longer than the policy's
   * maxStalenessSeconds (plus one refresh interval, so a healthy refresh in progress does not count) is not served
   * as fresh. The same decision as a failed refresh is taken (onFailure), with the current replicas unknown: the
   * static fallback where there is one, else nothing, which the HPA treats as a metric error and holds on.
   */
  private serve(c: Entry, nowMs: number): PolicyResult {
    const r = c.result
    const b = c.backstop
    // Just before the next refresh lands a healthy result is one interval plus that refresh's duration old: only a
    // result that no refresh has replaced for maxStalenessSeconds beyond the interval is overdue.
    const ageMs = nowMs - c.atMs
    if (b === undefined || ageMs <= b.maxStalenessSeconds * 1000 + (this.opts.refreshIntervalMs ?? 0)) return r
    const d = onFailure({ consecutiveFailures: b.failures + 1, nowMs, maxStalenessSeconds: b.maxStalenessSeconds, fallback: b.fallback, ...(b.lastGood !== undefined ? { lastGood: b.lastGood } : {}) })
    const error = `refresh: no result for ${Math.round(ageMs / 1000)}s, longer than maxStalenessSeconds (${b.maxStalenessSeconds}s)`
    if (!c.overdueLogged) {
      c.overdueLogged = true
      this.opts.log.warn({ policy: r.policy, ageSeconds: Math.round(ageMs / 1000), reason: d.reason }, 'policy result is overdue: no refresh has replaced it')
    }
    return {
      policy: r.policy,
      namespace: r.namespace,
      name: r.name,
      computedAtMs: r.computedAtMs,
      modelVersion: r.modelVersion,
      explain: { ...r.explain, errors: [...r.explain.errors, error] },
      ...(d.kind === 'serve' ? { desiredReplicas: d.replicas } : {}),
      reason: d.reason,
      message: `${servedText(d)}: ${error}`,
      dataTimeMs: r.dataTimeMs,
    }
  }
}
