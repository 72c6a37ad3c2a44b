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
    const perMinute = last.replicas * (cfg.maxDecreasePercentPerMinute / 100)
    // The allowance accumulates: while it is below one replica nothing is removed, and since lastServed keeps its
    // time while the value holds, the next refreshes see the time built up (5 replicas at 20 %/min lose one per
    // minute, not one per refresh). But only up to one minute's worth (or the time one replica takes): after a
    // long hold, say the stabilization window, the drop is still a share per minute, not everything at once.
    // The tolerance keeps 4 * 0.2 * 1.25 from rounding down to 0.
    const capMinutes = perMinute > 0 ? Math.max(1, 1 / perMinute) : 0
    const minutes = Math.min(capMinutes, Math.max(0, (nowMs - last.timeMs) / 60_000))
    const maxDrop = Math.floor(perMinute * minutes + 1e-9)
    served = Math.max(served, last.replicas - maxDrop)
  }
  // lastServed only moves when the value changes, so the rate limit measures time since the last step down.
  const lastServed = last !== undefined && last.replicas === served ? last : { timeMs: nowMs, replicas: served }
  return { served, state: { history, lastServed } }
}
