import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Logger } from 'pino'
import { isNotFound } from '../kube/errors.js'
import { setCondition, updatePolicyStatus, type StatusClient } from '../policy/status.js'
import { FAILURE_REASONS } from './fallback.js'
import type { PolicyResult } from './types.js'
import type { ResultReason } from '../names.js'
import type { ReasonEvents } from './reason-recorder.js'

// Reports each policy's state in its status so `kubectl get fpol` and `kubectl describe` tell users what is
// happening. Writes happen when something a user would notice changed, never on every 15 s refresh; while a
// policy fails, its status is also rewritten now and then, so that lastRefreshTime and the failure count in the
// message say how recent it is.

/** How often the status of a failing policy is rewritten when nothing else about it changed. */
const FAILING_REWRITE_MS = 60_000
/**
 * Results looked at per turn of the event loop: a round runs on the API's thread, and 10,000 policies in one go held
 * it for 4-8 ms (docs/benchmarks.md), above what a request may wait.
 */
const RESULTS_PER_TURN = 250

interface StatusView { ready: 'True' | 'False'; predicting: 'True' | 'False'; reason: ResultReason; message: string; desiredReplicas?: number; modelVersion: string }

function statusView(r: PolicyResult): StatusView {
  return {
    ready: r.desiredReplicas !== undefined ? 'True' : 'False',
    predicting: r.reason === 'Predicted' ? 'True' : 'False',
    reason: r.reason,
    message: r.message,
    ...(r.desiredReplicas !== undefined ? { desiredReplicas: r.desiredReplicas } : {}),
    modelVersion: r.modelVersion,
  }
}

/** The parts of a view whose change is worth a write (the message carries changing numbers, so it is left out). */
function fingerprint(v: StatusView): string {
  return JSON.stringify([v.ready, v.predicting, v.reason, v.desiredReplicas, v.modelVersion])
}

interface Pending { r: PolicyResult; view: StatusView; fp: string }

export class StatusWriter {
  private readonly written = new Map<string, { fp: string; atMs: number }>()
  private running = false

  /** `events` hears of every change of the served reason a write made, and sends its Events after each round. */
  constructor(private readonly client: StatusClient, private readonly log: Logger, private readonly maxWritesPerRound = 50, private readonly events?: ReasonEvents) {}

  /**
   * Writes the changed ones, then the failing ones due for a rewrite (the longest unwritten first), at most
   * maxWritesPerRound per call; the rest wait for the next round. Changes go first, so that with many policies
   * failing at once the periodic rewrites never hold back a change a user would notice.
   */
  async write(results: Iterable<PolicyResult>, nowMs: number): Promise<number> {
    if (this.running) return 0
    this.running = true
    let count = 0
    try {
      const changed: Pending[] = []
      const due: Array<Pending & { atMs: number }> = []
      let seen = 0
      for (const r of results) {
        if (++seen % RESULTS_PER_TURN === 0) await nextTurn()
        const view = statusView(r)
        const fp = fingerprint(view)
        const last = this.written.get(r.policy)
        if (last?.fp !== fp) changed.push({ r, view, fp })
        else if (FAILURE_REASONS.has(r.reason) && nowMs - last.atMs >= FAILING_REWRITE_MS) due.push({ r, view, fp, atMs: last.atMs })
      }
      due.sort((a, b) => a.atMs - b.atMs)
      for (const p of [...changed, ...due].slice(0, this.maxWritesPerRound)) {
        count++
        await this.writeOne(p, nowMs)
      }
      // Also in rounds without writes: an event held back by its minimum interval becomes due later.
      await this.events?.flush(nowMs)
    } finally {
      this.running = false
    }
    return count
  }

  private async writeOne({ r, view, fp }: Pending, nowMs: number): Promise<void> {
    // The reason the status said before this write, from the read the write was based on: a change is then seen
    // once across adapter replicas and restarts (whoever writes it first), not once per process.
    let before: { reason?: ResultReason; uid?: string } = {}
    try {
      const { written } = await updatePolicyStatus(this.client, { namespace: r.namespace, name: r.name }, (cur, _spec, uid) => {
        before = { ...(cur.reason !== undefined ? { reason: cur.reason } : {}), ...(uid !== undefined ? { uid } : {}) }
        const now = new Date(nowMs)
        let conditions = setCondition(cur.conditions ?? [], { type: 'Ready', status: view.ready, reason: view.reason, message: view.message }, now)
        conditions = setCondition(conditions, { type: 'Predicting', status: view.predicting, reason: view.reason, message: view.message }, now)
        return {
          ...cur,
          conditions: [...conditions],
          ...(view.desiredReplicas !== undefined ? { desiredReplicas: view.desiredReplicas } : {}),
          reason: view.reason,
          modelVersion: view.modelVersion,
          lastRefreshTime: new Date(r.computedAtMs).toISOString(),
        }
      })
      this.written.set(r.policy, { fp, atMs: nowMs })
      if (written && before.reason !== view.reason) {
        this.events?.observe(r.policy, { namespace: r.namespace, name: r.name, ...(before.uid !== undefined ? { uid: before.uid } : {}) }, {
          ...(before.reason !== undefined ? { from: before.reason } : {}),
          to: view.reason,
          atMs: nowMs,
          message: view.message,
          ...(view.desiredReplicas !== undefined ? { desiredReplicas: view.desiredReplicas } : {}),
        })
      }
    } catch (err) {
      if (isNotFound(err)) {
        // The policy is gone (deleted since this refresh): a policy re-created under the same name must be written.
        this.written.delete(r.policy)
        this.log.debug({ policy: r.policy }, 'policy not found while writing its status')
      } else {
        this.log.warn({ policy: r.policy, err: (err as Error).message }, 'unable to write policy status')
      }
    }
  }

  /** Policies whose last written view is remembered. */
  get tracked(): number {
    return this.written.size
  }

  /** Drops what was written for policies not in `keys` (deleted ones); the refresh loop calls it after each refresh. */
  forget(keys: ReadonlySet<string>): void {
    for (const k of [...this.written.keys()]) if (!keys.has(k)) this.written.delete(k)
    this.events?.forget(keys)
  }
}
