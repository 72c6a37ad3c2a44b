import { between, intBetween, uniform } from './rng.js'
import type { TraceSegment } from './traces.js'

// The remediation scenarios: workloads of 3 to 50 pods whose request counts follow a real trace, with one
// documented fault each (or none, over days), plus the background every workload has: deploys, load spikes and
// noisy neighbours. Everything is drawn from the scenario's seed, so a scenario is the same on every run.

export type Family =
  | 'error-abrupt' | 'error-slow' | 'latency-leak' | 'saturated-pod' | 'bad-node' | 'bad-rollout' | 'dependency-outage' | 'fault-free'

/** Tuning scenarios choose the defaults; reporting scenarios, on other trace segments and seeds, are the result. */
export type Part = 'tuning' | 'reporting'

/**
 * What a fault is, for scoring: `sick`, the pod broke itself and a restart (or a move) cures it; `transient`,
 * the pod is fine and the trouble passes on its own (noisy neighbour); `not-curable`, a restart cannot help.
 */
export type Truth = 'sick' | 'transient' | 'not-curable'

/** What ends the fault: any restart of the pod's process; only a new pod elsewhere (eviction); nothing. */
export type Cure = 'restart' | 'move' | 'never'

export interface PodFault {
  kind: 'pod-fault'
  id: number
  label: string
  /** Positions in the workload's live pods, sorted by name, at atMs. */
  targets: number[]
  atMs: number
  /** Time to full strength (0: abrupt). */
  rampMs: number
  /** When it stops by itself; undefined: until cured. */
  endMs?: number
  /** Extra error probability at full strength. */
  errorRatio: number
  /** Latency multiplier at full strength. */
  latencyFactor: number
  /** CPU saturation floor at full strength (0: none). */
  saturation: number
  cure: Cure
  truth: Truth
}

/** A shared dependency failing: every pod's requests fail alike. */
export interface Outage { kind: 'outage'; id: number; atMs: number; endMs: number; errorRatio: number; latencyFactor: number }

/** A new revision rolled out (RollingUpdate); a bad one fails every new pod until it is rolled back. */
export interface Rollout { kind: 'rollout'; id: number; atMs: number; errorRatio: number; maxSurge: number; maxUnavailable: number; minReadyMs: number }

interface Spike { kind: 'spike'; id: number; atMs: number; endMs: number; factor: number }

export type ScenarioEvent = PodFault | Outage | Rollout | Spike

export interface Scenario {
  name: string
  family: Family
  part: Part
  seed: number
  segment: TraceSegment
  pods: number
  durationMs: number
  /** Requests per second per pod at the trace's mean load. */
  ratePerPod: number
  baseErrorRatio: number
  baseLatencySeconds: number
  events: ScenarioEvent[]
}

export const SIZES: readonly number[] = [3, 5, 10, 25, 50]
export const FAULT_FAMILIES: readonly Family[] = ['error-abrupt', 'error-slow', 'latency-leak', 'saturated-pod', 'bad-node', 'bad-rollout', 'dependency-outage']

const MIN = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
/** Fault episodes: six hours, the fault between 1.5 and 2.5 hours in, so every strategy has seen the pods first. */
const EPISODE_MS = 6 * HOUR

interface PartPlan { seeds: readonly number[]; faultSegments: readonly TraceSegment[]; quietSegments: readonly TraceSegment[] }

/**
 * The split. Tuning: the first week of the NASA trace. Reporting: NASA's second and third weeks, the AWS ELB
 * request counts and two weeks of New York taxi demand, with other seeds (fault-free: a week of each).
 */
export const PLAN: Readonly<Record<Part, PartPlan>> = {
  tuning: {
    seeds: [101, 102, 103],
    faultSegments: [{ trace: 'nasa', fromDay: 0, days: 7 }],
    quietSegments: [{ trace: 'nasa', fromDay: 0, days: 7 }],
  },
  reporting: {
    seeds: [1, 2],
    faultSegments: [{ trace: 'nasa', fromDay: 7, days: 14 }, { trace: 'elb', fromDay: 0, days: 14 }, { trace: 'taxi', fromDay: 70, days: 14 }],
    quietSegments: [{ trace: 'nasa', fromDay: 7, days: 7 }, { trace: 'elb', fromDay: 7, days: 7 }, { trace: 'taxi', fromDay: 70, days: 7 }],
  },
}

const RATES: readonly number[] = [1, 5, 25]

/** `count` distinct positions in [0, n). */
function pickTargets(n: number, count: number, seed: number, key: number): number[] {
  const out: number[] = []
  for (let k = 0; out.length < Math.min(count, n); k++) {
    const i = intBetween(0, n - 1, seed, key, k)
    if (!out.includes(i)) out.push(i)
  }
  return out
}

/** log-uniform in [lo, hi). */
function logBetween(lo: number, hi: number, seed: number, ...keys: number[]): number {
  return Math.exp(between(Math.log(lo), Math.log(hi), seed, ...keys))
}

/** Deploys, load spikes and noisy neighbours over [fromMs, toMs): what a healthy workload lives through. */
function background(seed: number, pods: number, fromMs: number, toMs: number, firstId: number): ScenarioEvent[] {
  const out: ScenarioEvent[] = []
  let id = firstId
  const days = (toMs - fromMs) / DAY
  // Deploys: about two a day, rolling 25 % at a time.
  const deploys = Math.max(1, Math.round(days * 2))
  for (let k = 0; k < deploys; k++) {
    out.push({ kind: 'rollout', id: id++, atMs: fromMs + uniform(seed, 11, k) * (toMs - fromMs), errorRatio: 0, maxSurge: Math.max(1, Math.ceil(pods / 4)), maxUnavailable: Math.max(0, Math.floor(pods / 4)), minReadyMs: 0 })
  }
  // Load spikes: about one a day, x1.3 to x2.5 for 5 to 30 minutes.
  const spikes = Math.max(1, Math.round(days))
  for (let k = 0; k < spikes; k++) {
    const at = fromMs + uniform(seed, 12, k) * (toMs - fromMs)
    out.push({ kind: 'spike', id: id++, atMs: at, endMs: at + between(5, 30, seed, 13, k) * MIN, factor: between(1.3, 2.5, seed, 14, k) })
  }
  // Noisy neighbours: a pod's node gets busy for 1 to 30 minutes; slower requests and a few timeouts.
  const noisy = Math.round(days * Math.max(4, pods / 2))
  for (let k = 0; k < noisy; k++) {
    const at = fromMs + uniform(seed, 15, k) * (toMs - fromMs)
    out.push({
      kind: 'pod-fault', id: id++, label: 'noisy neighbour', targets: [intBetween(0, pods - 1, seed, 16, k)], atMs: at, rampMs: 0,
      endMs: at + logBetween(1, 30, seed, 17, k) * MIN, errorRatio: uniform(seed, 18, k) < 0.3 ? between(0.005, 0.03, seed, 19, k) : 0,
      latencyFactor: between(1.3, 3, seed, 20, k), saturation: 0, cure: 'move', truth: 'transient',
    })
  }
  return out.sort((a, b) => a.atMs - b.atMs)
}

/** The one fault of a fault episode, at `atMs`. */
export function injectFault(family: Family, seed: number, pods: number, atMs: number, id: number): ScenarioEvent[] {
  const one = pickTargets(pods, 1, seed, 30)
  switch (family) {
    case 'error-abrupt':
      return [{ kind: 'pod-fault', id, label: 'errors, abrupt', targets: one, atMs, rampMs: 0, errorRatio: logBetween(0.05, 0.6, seed, 31), latencyFactor: 1, saturation: 0, cure: 'restart', truth: 'sick' }]
    case 'error-slow':
      return [{ kind: 'pod-fault', id, label: 'errors, rising slowly', targets: one, atMs, rampMs: between(15, 60, seed, 32) * MIN, errorRatio: between(0.1, 0.4, seed, 33), latencyFactor: 1, saturation: 0, cure: 'restart', truth: 'sick' }]
    case 'latency-leak':
      return [{ kind: 'pod-fault', id, label: 'latency leak', targets: one, atMs, rampMs: between(30, 90, seed, 34) * MIN, errorRatio: 0, latencyFactor: between(3, 6, seed, 35), saturation: 0, cure: 'restart', truth: 'sick' }]
    case 'saturated-pod':
      return [{ kind: 'pod-fault', id, label: 'saturated (hot key)', targets: one, atMs, rampMs: 2 * MIN, endMs: atMs + between(30, 90, seed, 36) * MIN, errorRatio: 0, latencyFactor: 1.4, saturation: 0.97, cure: 'never', truth: 'not-curable' }]
    case 'bad-node': {
      // The node holds about a fifth of the workload (at most five pods): under half, so "most pods failing" does not apply.
      const k = Math.min(5, Math.max(1, Math.round(pods / 5)))
      return [{ kind: 'pod-fault', id, label: `bad node (${k} pods)`, targets: pickTargets(pods, k, seed, 37), atMs, rampMs: 0, errorRatio: logBetween(0.05, 0.3, seed, 38), latencyFactor: between(1.5, 3, seed, 39), saturation: 0, cure: 'move', truth: 'sick' }]
    }
    case 'bad-rollout': {
      // Rolled back 20 to 45 minutes later (by a person, or a progressive-delivery tool); half the rollouts are slow ones.
      const slow = uniform(seed, 40) < 0.5
      const rollbackMs = atMs + between(20, 45, seed, 41) * MIN
      const rollout = (rid: number, at: number, errorRatio: number): Rollout => ({ kind: 'rollout', id: rid, atMs: at, errorRatio, maxSurge: slow ? 1 : Math.max(1, Math.ceil(pods / 4)), maxUnavailable: slow ? 0 : Math.max(0, Math.floor(pods / 4)), minReadyMs: slow ? 60_000 : 0 })
      return [rollout(id, atMs, logBetween(0.1, 0.8, seed, 42)), rollout(id + 1, rollbackMs, 0)]
    }
    case 'dependency-outage': {
      const end = atMs + logBetween(5, 40, seed, 43) * MIN
      return [{ kind: 'outage', id, atMs, endMs: end, errorRatio: logBetween(0.1, 1, seed, 44), latencyFactor: between(1, 4, seed, 45) }]
    }
    case 'fault-free':
      return []
  }
}

function segmentName(s: TraceSegment): string {
  return `${s.trace}+${s.fromDay}d`
}

/** Every scenario of a part: a fault episode per family, size, segment and seed, and a fault-free stretch per size and segment. */
export function scenarios(part: Part): Scenario[] {
  const plan = PLAN[part]
  const out: Scenario[] = []
  for (const seg of plan.faultSegments) {
    for (const family of FAULT_FAMILIES) {
      for (const [si, pods] of SIZES.entries()) {
        for (const seed0 of plan.seeds) {
          const seed = seed0 * 1000 + si * 37 + FAULT_FAMILIES.indexOf(family) * 101 + seg.fromDay
          // Episodes start anywhere in the segment, so faults meet night-time as well as peak traffic.
          const startDay = seg.fromDay + uniform(seed, 1) * (seg.days - 0.5)
          const atMs = between(90, 150, seed, 2) * MIN
          const events = [...injectFault(family, seed, pods, atMs, 1), ...background(seed, pods, 0, EPISODE_MS, 10)].sort((a, b) => a.atMs - b.atMs)
          out.push({
            name: `${family}/${pods}p/${segmentName(seg)}/s${seed0}`, family, part, seed,
            segment: { trace: seg.trace, fromDay: startDay, days: 0.25 }, pods, durationMs: EPISODE_MS,
            ratePerPod: RATES[intBetween(0, RATES.length - 1, seed, 3)] ?? 5, baseErrorRatio: logBetween(0.0005, 0.01, seed, 4), baseLatencySeconds: between(0.03, 0.3, seed, 5),
            events,
          })
        }
      }
    }
  }
  for (const seg of plan.quietSegments) {
    for (const [si, pods] of SIZES.entries()) {
      const seed = (plan.seeds[0] ?? 1) * 7919 + si * 13 + seg.fromDay
      out.push({
        name: `fault-free/${pods}p/${segmentName(seg)}`, family: 'fault-free', part, seed, segment: seg, pods, durationMs: seg.days * DAY,
        ratePerPod: RATES[si % RATES.length] ?? 5, baseErrorRatio: logBetween(0.0005, 0.01, seed, 4), baseLatencySeconds: between(0.03, 0.3, seed, 5),
        events: background(seed, pods, 0, seg.days * DAY, 10),
      })
    }
  }
  return out
}
