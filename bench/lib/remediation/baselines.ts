// What users run today instead of Foresight's remediation, as small pure rules: a static error-rate threshold
// (restart a pod whose error ratio stays above a fixed line), Envoy/Istio outlier detection by consecutive 5xx
// (ejection from the load balancer, capped at a share of the hosts), and a liveness probe (restart the container
// after consecutive failed probes). Each takes its state and an observation and returns the new state and what
// to do; the benchmark drives them at their own cadence on the same pod signals as the controller.

export interface StaticThresholdOptions {
  /** Error ratio (0..1) at or above which a pod counts as failing. */
  threshold: number
  /** How long it must stay there (an alert's `for:`). */
  forMs: number
}

/** pod -> since when its error ratio has been at or above the line. */
export type StaticThresholdState = ReadonlyMap<string, number>

/**
 * One check over every pod's current error ratio. A pod missing from `ratios` (no data) starts over; the pods
 * returned are to be restarted (and leave the state).
 */
export function staticThresholdCheck(state: StaticThresholdState, ratios: ReadonlyMap<string, number>, nowMs: number, o: StaticThresholdOptions): { state: StaticThresholdState; restart: string[] } {
  const next = new Map<string, number>()
  const restart: string[] = []
  for (const [pod, ratio] of [...ratios].sort(([a], [b]) => a.localeCompare(b))) {
    if (!(ratio >= o.threshold)) continue
    const since = state.get(pod) ?? nowMs
    if (nowMs - since >= o.forMs) restart.push(pod)
    else next.set(pod, since)
  }
  return { state: next, restart }
}

export interface OutlierOptions {
  /** consecutive_5xx */
  consecutive5xx: number
  /** interval: how often ejections are reviewed (un-ejection, multiplier decay). */
  intervalMs: number
  /** base_ejection_time, multiplied by the times the host was ejected. */
  baseEjectionMs: number
  /** max_ejection_time */
  maxEjectionMs: number
  /** max_ejection_percent: at least one host is always ejectable. */
  maxEjectionPercent: number
}

/** Envoy's defaults (Istio's DestinationRule uses the same numbers for what it sets). */
export const ENVOY_DEFAULTS: Readonly<OutlierOptions> = { consecutive5xx: 5, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 10 }

export interface HostState {
  /** 5xx answers in a row, so far. */
  consecutive: number
  /** Ejected until then (0: not ejected). */
  ejectedUntilMs: number
  /** The ejection time multiplier. */
  ejections: number
}

export const FRESH_HOST: Readonly<HostState> = { consecutive: 0, ejectedUntilMs: 0, ejections: 0 }

/**
 * A host's answers in order: the streak of 5xx after them and whether it reached consecutive_5xx. `nextGap(i)`
 * gives the number of successes before the next 5xx (a geometric draw for random traffic; a table in tests), so
 * thousands of requests cost one step per 5xx, not per request.
 */
export function consecutiveAfter(consecutive: number, requests: number, nextGap: (i: number) => number, o: Pick<OutlierOptions, 'consecutive5xx'>): { consecutive: number; tripped: boolean } {
  let pos = 0
  let run = consecutive
  for (let i = 0; pos < requests; i++) {
    const gap = nextGap(i)
    if (pos + gap >= requests) return { consecutive: gap > 0 ? 0 : run, tripped: false }
    if (gap > 0) run = 0
    pos += gap + 1
    run++
    if (run >= o.consecutive5xx) return { consecutive: run, tripped: true }
  }
  return { consecutive: run, tripped: false }
}

/** Most hosts that may be ejected at once: max_ejection_percent of them, and at least one. */
export function maxEjected(hosts: number, o: Pick<OutlierOptions, 'maxEjectionPercent'>): number {
  return Math.max(1, Math.ceil((hosts * o.maxEjectionPercent) / 100 - 1e-9))
}

/** A host that tripped: ejected when the cap allows, for base x times ejected (at most max_ejection_time). */
export function eject(host: HostState, ejectedNow: number, hosts: number, nowMs: number, o: OutlierOptions): { host: HostState; ejected: boolean } {
  if (ejectedNow >= maxEjected(hosts, o)) return { host: { ...host, consecutive: 0 }, ejected: false }
  const ejections = host.ejections + 1
  return { host: { consecutive: 0, ejections, ejectedUntilMs: nowMs + Math.min(o.baseEjectionMs * ejections, Math.max(o.baseEjectionMs, o.maxEjectionMs)) }, ejected: true }
}

/** The interval timer: an ejected host whose time is up returns; a host in service sheds one step of its multiplier. */
export function intervalTick(host: HostState, nowMs: number): HostState {
  if (host.ejectedUntilMs > 0) return nowMs >= host.ejectedUntilMs ? { ...host, ejectedUntilMs: 0, consecutive: 0 } : host
  return host.ejections > 0 ? { ...host, ejections: host.ejections - 1 } : host
}

export interface LivenessOptions { periodMs: number; failureThreshold: number; timeoutSeconds: number }

/** The kubelet's defaults (periodSeconds 10, failureThreshold 3, timeoutSeconds 1). */
export const LIVENESS_DEFAULTS: Readonly<LivenessOptions> = { periodMs: 10_000, failureThreshold: 3, timeoutSeconds: 1 }

/** One probe: failures in a row so far, and whether the container is to be restarted (the count then starts over). */
export function livenessProbe(failures: number, failed: boolean, o: Pick<LivenessOptions, 'failureThreshold'>): { failures: number; restart: boolean } {
  if (!failed) return { failures: 0, restart: false }
  const n = failures + 1
  return n >= o.failureThreshold ? { failures: 0, restart: true } : { failures: n, restart: false }
}

/**
 * The chance a probe fails for a pod answering with `errorProbability` and a mean latency of `latencySeconds`:
 * the probe fails like any request, or times out (latency taken as exponential around its mean).
 */
export function probeFailureProbability(errorProbability: number, latencySeconds: number, timeoutSeconds: number): number {
  const slow = latencySeconds > 0 ? Math.exp(-timeoutSeconds / latencySeconds) : 0
  return Math.min(1, errorProbability + (1 - errorProbability) * slow)
}
