// Scale-down damping: a lower recommendation is served only after it has held for the stabilization window,
// and then by at most a share of the replicas per minute. Scale-up is never delayed: that is the point of
// predicting. Pure: the state goes in and comes out.

export interface DampingConfig { stabilizationSeconds: number; maxDecreasePercentPerMinute: number }

export interface DampingState {
  /** Recommendations seen within the stabilization window, oldest first. */
  history: ReadonlyArray<{ timeMs: number; replicas: number }>
  lastServed?: { timeMs: number; replicas: number }
}

export const EMPTY_DAMPING: DampingState = { history: [] }

export function dampen(state: DampingState, recommended: number, nowMs: number, cfg: DampingConfig): { served: number; state: DampingState } {
  const since = nowMs - cfg.stabilizationSeconds * 1000
  const history = [...state.history.filter((h) => h.timeMs > since), { timeMs: nowMs, replicas: recommended }]
  // The highest recommendation of the window: a dip must last the whole window before it counts.
  let served = Math.max(...history.map((h) => h.replicas))
  const last = state.lastServed
  if (last !== undefined && served < last.replicas) {
    const minutes = Math.max(0, (nowMs - last.timeMs) / 60_000)
    const maxDrop = Math.max(1, Math.floor(last.replicas * (cfg.maxDecreasePercentPerMinute / 100) * minutes))
    served = Math.max(served, last.replicas - maxDrop)
  }
  // lastServed only moves when the value changes, so the rate limit measures time since the last step down.
  const lastServed = last !== undefined && last.replicas === served ? last : { timeMs: nowMs, replicas: served }
  return { served, state: { history, lastServed } }
}
