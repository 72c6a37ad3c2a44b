/**
 * The scaled Deployment as capacity: a new pod costs from the moment it is created but serves only after its
 * start-up delay; a removed pod stops serving at once. Pure: each change returns a new state.
 */

export interface WorkloadConfig {
  /** Load one ready replica serves, in the load's unit (requests per second). */
  capacityPerReplica: number
  /** From pod creation to Ready: scheduling, image pull, start-up, readiness probe. */
  startupDelaySeconds: number
}

interface WorkloadState {
  /** When each pod is (or was) Ready, ascending. */
  readonly readyAtMs: readonly number[]
}

/** `replicas` pods that have been ready for a long time: the steady state a simulation starts from. */
export function steadyWorkload(replicas: number): WorkloadState {
  return { readyAtMs: new Array<number>(replicas).fill(-Infinity) }
}

export function replicaCount(w: WorkloadState): number {
  return w.readyAtMs.length
}

export function readyReplicas(w: WorkloadState, nowMs: number): number {
  let n = 0
  for (const t of w.readyAtMs) if (t <= nowMs) n++
  return n
}

/**
 * Sets the replica count at `nowMs`. Scaling down deletes the pods a ReplicaSet deletes first: not yet ready,
 * then the most recently ready, so the newest pods (last in the ascending list) go first.
 */
export function scaleWorkload(w: WorkloadState, replicas: number, nowMs: number, cfg: WorkloadConfig): WorkloadState {
  const n = w.readyAtMs.length
  if (replicas === n) return w
  if (replicas < n) return { readyAtMs: w.readyAtMs.slice(0, Math.max(0, replicas)) }
  const readyAt = nowMs + cfg.startupDelaySeconds * 1000
  return { readyAtMs: [...w.readyAtMs, ...new Array<number>(replicas - n).fill(readyAt)] }
}
