import type { Family } from './scenarios.js'

// The figures of the remediation benchmark, from what each strategy did in each scenario. Pure: the runner
// records actions and the ground truth, this turns them into recall, time to restart, false restarts per
// 1,000 pod-days, restarts during events a restart cannot cure, and unavailability.

/**
 * Why an action was right or wrong: `sick`, the pod carried a fault a restart cures; `event`, during a dependency
 * outage or a bad rollout (restarting cures neither); `futile`, the pod was saturated by its load; `healthy`, a
 * pod with nothing wrong of its own (noisy neighbours and warm-up included).
 */
export type ActionTruth = 'sick' | 'event' | 'futile' | 'healthy'

export interface ActionRecord {
  tMs: number
  pod: string
  truth: ActionTruth
  faultKey?: string
  /** What the strategy gave as its reason (the controller's decision message). */
  why?: string
}

/** A sick pod: one target of one fault. `qualifiedAtMs`: when its error ratio had been >= 3x its siblings' median for 5 minutes. */
export interface SickPod { key: string; faultAtMs: number; qualifiedAtMs?: number; caughtAtMs?: number }

export interface ScenarioRun {
  scenario: string
  family: Family
  pods: number
  strategy: string
  actions: ActionRecord[]
  sick: SickPod[]
  podDays: number
  /** Highest share of the workload's pods out of service because of the strategy's actions. */
  peakUnavailable: number
}

export interface Figures {
  strategy: string
  scenarios: number
  /** Sick pods whose error ratio was >= 3x their siblings' median for 5 minutes (the recall target's population). */
  qualified: number
  qualifiedCaught: number
  sickPods: number
  sickCaught: number
  /** Seconds from fault start to the first action on the sick pod, over the sick pods caught. */
  medianSeconds: number
  p95Seconds: number
  /** Over the qualified sick pods caught: seconds from the first minute of their 3x streak (0 when caught before it). */
  medianFromOnsetSeconds: number
  /** The same for the first pod caught of each fault (a bad node's later pods wait for the workload cooldown and budget). */
  medianFirstFromOnsetSeconds: number
  healthyActions: number
  podDays: number
  /** Actions on healthy pods per 1,000 pod-days. */
  healthyPer1000PodDays: number
  /** Actions during dependency outages and bad rollouts. */
  eventActions: number
  futileActions: number
  peakUnavailable: number
}

/** A qualified pod's 3x streak: five minutes ending at qualifiedAtMs, so it started four minute-steps before. */
export const QUALIFYING_MINUTES = 5

function onsetMs(s: SickPod): number {
  return (s.qualifiedAtMs ?? Number.NaN) - (QUALIFYING_MINUTES - 1) * 60_000
}

/** Nearest-rank quantile; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN
}

/** The median over `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

/** The figures of one strategy over a set of scenario runs (all of the same strategy). */
export function figures(strategy: string, runs: readonly ScenarioRun[]): Figures {
  const sick = runs.flatMap((r) => r.sick)
  const caught = sick.filter((s) => s.caughtAtMs !== undefined)
  const qualified = sick.filter((s) => s.qualifiedAtMs !== undefined)
  const times = caught.map((s) => ((s.caughtAtMs ?? 0) - s.faultAtMs) / 1000)
  const fromOnset = qualified.filter((s) => s.caughtAtMs !== undefined).map((s) => Math.max(0, ((s.caughtAtMs ?? 0) - onsetMs(s)) / 1000))
  const firstOfFault = new Map<string, number>()
  for (const r of runs) {
    for (const s of r.sick) {
      if (s.caughtAtMs === undefined || s.qualifiedAtMs === undefined) continue
      const fault = `${r.scenario}#${s.key.split(':')[0] ?? ''}`
      const secs = Math.max(0, (s.caughtAtMs - onsetMs(s)) / 1000)
      firstOfFault.set(fault, Math.min(firstOfFault.get(fault) ?? Number.POSITIVE_INFINITY, secs))
    }
  }
  const actions = runs.flatMap((r) => r.actions)
  const healthy = actions.filter((a) => a.truth === 'healthy').length
  const podDays = runs.reduce((a, r) => a + r.podDays, 0)
  return {
    strategy,
    scenarios: runs.length,
    qualified: qualified.length,
    qualifiedCaught: qualified.filter((s) => s.caughtAtMs !== undefined).length,
    sickPods: sick.length,
    sickCaught: caught.length,
    medianSeconds: median(times),
    p95Seconds: quantile(times, 0.95),
    medianFromOnsetSeconds: median(fromOnset),
    medianFirstFromOnsetSeconds: median([...firstOfFault.values()]),
    healthyActions: healthy,
    podDays,
    healthyPer1000PodDays: podDays > 0 ? (healthy / podDays) * 1000 : Number.NaN,
    eventActions: actions.filter((a) => a.truth === 'event').length,
    futileActions: actions.filter((a) => a.truth === 'futile').length,
    peakUnavailable: runs.reduce((a, r) => Math.max(a, r.peakUnavailable), 0),
  }
}

/**
 * Marks each sick pod caught at the first action on it. `actions` must be in time order; an action names its
 * fault by `faultKey` (the runner sets it only while the pod carried the fault).
 */
export function markCaught(sick: readonly SickPod[], actions: readonly ActionRecord[]): SickPod[] {
  const first = new Map<string, number>()
  for (const a of actions) if (a.faultKey !== undefined && !first.has(a.faultKey)) first.set(a.faultKey, a.tMs)
  return sick.map((s) => {
    const at = first.get(s.key)
    return at !== undefined ? { ...s, caughtAtMs: at } : { ...s }
  })
}

/**
 * Whether a pod qualifies at this minute: error ratio at least `factor` times its siblings' median (and above 0).
 * Streaks of qualifying minutes are counted by the caller.
 */
export function aboveSiblings(value: number, siblings: readonly number[], factor = 3): boolean {
  if (!Number.isFinite(value) || siblings.length === 0) return false
  const m = median(siblings)
  return value > 0 && value >= factor * m
}
