import type { ScoreObservation } from './decide.js'
import type { PodScoreSample } from './pod-scores.js'

/**
 * Score observations per policy and pod, kept only as long as the sustained rule can look back. It lives in
 * memory on purpose: a new leader starts with none, so it must see an outlier for sustainedSeconds itself before
 * acting, which is the cautious direction.
 */
export class ScoreHistory {
  private readonly byPolicy = new Map<string, Map<string, ScoreObservation[]>>()

  /** Adds one read; pods missing from it lose their history (a gap breaks a streak anyway). */
  record(policy: string, samples: readonly PodScoreSample[], nowMs: number, keepMs: number): void {
    const prev = this.byPolicy.get(policy) ?? new Map<string, ScoreObservation[]>()
    const next = new Map<string, ScoreObservation[]>()
    // Several classes per pod may come back; the worst one is the pod's observation for this read.
    const worst = new Map<string, PodScoreSample>()
    for (const s of samples) {
      const cur = worst.get(s.pod)
      if (cur === undefined || s.score > cur.score) worst.set(s.pod, s)
    }
    for (const [pod, s] of worst) {
      const obs = (prev.get(pod) ?? []).filter((o) => o.timeMs > nowMs - keepMs && o.timeMs < s.timeMs)
      obs.push({ timeMs: s.timeMs, score: s.score, class: s.class })
      next.set(pod, obs)
    }
    this.byPolicy.set(policy, next)
  }

  get(policy: string): ReadonlyMap<string, readonly ScoreObservation[]> {
    return this.byPolicy.get(policy) ?? new Map()
  }

  /** Forget policies that no longer exist. */
  retain(policies: ReadonlySet<string>): void {
    for (const k of this.byPolicy.keys()) if (!policies.has(k)) this.byPolicy.delete(k)
  }

  clear(): void {
    this.byPolicy.clear()
  }
}
