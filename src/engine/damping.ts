// Scale-down damping: a lower recommendation is served only after it has held for the stabilization window,
// and then by at most a share of the replicas per minute. Scale-up is never delayed: that is the point of
// predicting. Pure: the state goes in and comes out.

interface DampingConfig { stabilizationSeconds: number; maxDecreasePercentPerMinute: number }

export interface DampingState {
  /** Recommendations seen within the stabilization window, oldest first. */
  history: ReadonlyArray<{ timeMs: number; replicas: number }>
  lastServed?: { timeMs: number; replicas: number }
  /** Steps down served within the rate-limit period, oldest first: how many replicas each removed. */
  drops?: ReadonlyArray<{ timeMs: number; removed: number }>
}

export const EMPTY_DAMPING: DampingState = { history: [] }

export function dampen(state: DampingState, recommended: number, nowMs: number, cfg: DampingConfig): { served: number; state: DampingState } {
  const since = nowMs - cfg.stabilizationSeconds * 1000
  const history = [...state.history.filter((h) => h.timeMs > since), { timeMs: nowMs, replicas: recommended }]
  // The highest recommendation of the window: a dip must last the whole window before it counts.
  let served = Math.max(...history.map((h) => h.replicas))
  const last = state.lastServed
  const share = cfg.maxDecreasePercentPerMinute / 100
  // The period the limit counts over: a minute, or as long as one replica takes when a minute's share is less
  // than one (4 replicas at 20 %/min lose one per 75 s, instead of never).
  const perMinute = (last?.replicas ?? served) * share
  const periodMs = (perMinute > 0 ? Math.max(1, 1 / perMinute) : 0) * 60_000
  let drops = (state.drops ?? []).filter((d) => d.timeMs > nowMs - periodMs)
  if (last !== undefined && served < last.replicas) {
    // Two limits, both needed. The allowance accumulates from the last step down (5 replicas at 20 %/min lose one
    // per minute, not one per refresh) up to one period's worth, so a long hold never releases everything at
    // once. And, as the HPA counts its own policies, the replicas removed within any one period stay within the
    // share of the count at its start: without it, an allowance spent in full at the end of a hold, then accruing
    // again, removed up to twice the share in the first minute. 1e-9 keeps 4 * 0.2 * 1.25 from rounding to 0.
    const accrued = Math.floor(perMinute * Math.min(periodMs, Math.max(0, nowMs - last.timeMs)) / 60_000 + 1e-9)
    const removedInPeriod = drops.reduce((sum, d) => sum + d.removed, 0)
    const periodLimit = Math.floor((last.replicas + removedInPeriod) * share * periodMs / 60_000 + 1e-9) - removedInPeriod
    served = Math.max(served, last.replicas - Math.max(0, Math.min(accrued, periodLimit)))
  }
  if (last !== undefined && served < last.replicas) drops = [...drops, { timeMs: nowMs, removed: last.replicas - served }]
  // lastServed only moves when the value changes, so the allowance measures time since the last step down.
  const lastServed = last !== undefined && last.replicas === served ? last : { timeMs: nowMs, replicas: served }
  return { served, state: { history, lastServed, drops } }
}
