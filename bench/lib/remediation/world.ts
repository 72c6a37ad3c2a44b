import type { PodSignalName } from '../../../src/prometheus/source.js'
import type { PodSignalHistory } from '../../../src/remediation/replay.js'
import type { WorkloadPod } from '../../../src/remediation/workload-pods.js'
import { normal, poisson, binomial, uniform } from './rng.js'
import type { Outage, PodFault, Rollout, Scenario } from './scenarios.js'
import { loadShape, peakHour } from './traces.js'

// One workload's pods over a scenario: their lifecycle (rollouts, evictions, container restarts, ejections from
// the load balancer) and, minute by minute, the traffic each serves and what it answers. Requests follow the
// trace; errors, latency and CPU follow from the requests, the pod's own noise and the faults it carries. The
// podSignals queries read it as Prometheus would: errors and latency over the last two minutes, CPU averaged.

export const MINUTE_MS = 60_000
/** The window of the podSignals queries (rate(...[2m])). */
const QUERY_WINDOW_MINUTES = 2
/** Time from a pod's creation to Ready. */
const STARTUP_MS = 20_000
/** terminationGracePeriodSeconds: an evicted pod is listed (terminating, serving nothing) this long. */
const GRACE_MS = 30_000
/** Capacity is sized for the trace's busiest hour at about 55 % CPU, as an HPA target would keep it. */
const PEAK_UTILISATION = 0.55
/** A container restarted in place (liveness) is back after this long. */
const CONTAINER_RESTART_MS = 15_000

export interface SimPod {
  name: string
  serial: number
  revision: number
  createdMs: number
  readyAtMs: number
  deletionMs?: number
  faults: PodFault[]
  /** Its share of the load balancer's traffic relative to the others (1 +- a few %). */
  weight: number
  ejectedUntilMs: number
  /** Unready because of a strategy's action (eviction replacement, container restart). */
  byAction: boolean
}

interface Bucket { requests: number; errors: number; latencySum: number; cpu: number }

interface PodState { requestsPerSecond: number; errorProbability: number; latencySeconds: number; cpu: number }

export class World implements PodSignalHistory {
  readonly signals: readonly PodSignalName[] = ['errorRatio', 'latency', 'saturation', 'requests']
  readonly pods: SimPod[] = []
  private readonly shape: Float64Array
  private readonly capacityPerPod: number
  private serial = 0
  private revision = 0
  /** revision -> its extra error probability (a bad rollout's). */
  private readonly revisionErrors = new Map<number, number>([[0, 0]])
  private readonly buckets = new Map<string, Map<number, Bucket>>()
  private readonly state = new Map<string, PodState>()
  private nextEvent = 0
  private nowMs = 0
  private minute = 0
  private rollout: Rollout | undefined
  /** Sum over time of live pods, for pod-days. */
  podMs = 0
  /** Every pod that got a `sick` fault: key (fault id : target position), the fault, the pod. */
  readonly carriers: Array<{ key: string; fault: PodFault; pod: string }> = []

  constructor(readonly scenario: Scenario, readonly originMs: number) {
    this.shape = loadShape(scenario.segment)
    this.capacityPerPod = (scenario.ratePerPod * peakHour(this.shape)) / PEAK_UTILISATION
    for (let i = 0; i < scenario.pods; i++) this.create(-86_400_000, false)
    for (const p of this.pods) p.readyAtMs = p.createdMs + STARTUP_MS
  }

  get now(): number {
    return this.nowMs
  }

  private create(atMs: number, byAction: boolean, like?: SimPod): SimPod {
    const serial = this.serial++
    const revision = like?.revision ?? this.revision
    const p: SimPod = {
      name: `web-${(revision * 7919 + 4099).toString(36).padStart(4, '0').slice(-4)}-${serial.toString(36).padStart(5, '0')}`,
      serial, revision, createdMs: atMs, readyAtMs: atMs + STARTUP_MS, faults: like !== undefined ? like.faults.filter((f) => f.cure === 'never') : [],
      weight: 1 + 0.05 * normal(this.scenario.seed, 50, serial), ejectedUntilMs: 0, byAction,
    }
    this.pods.push(p)
    return p
  }

  /** Pods not terminating. */
  live(): SimPod[] {
    return this.pods.filter((p) => p.deletionMs === undefined)
  }

  private serving(p: SimPod, t: number): boolean {
    return p.deletionMs === undefined && t >= p.readyAtMs && t >= p.ejectedUntilMs
  }

  /** The pod list as the controller sees it (terminating pods included). */
  listed(): WorkloadPod[] {
    return this.pods.map((p) => ({
      name: p.name, creationTimestamp: new Date(this.originMs + p.createdMs), ready: p.deletionMs === undefined && this.nowMs >= p.readyAtMs, phase: 'Running',
      // As the apiserver stamps a graceful delete: the time it asks for plus the grace period.
      ...(p.deletionMs !== undefined ? { deletionTimestamp: new Date(this.originMs + p.deletionMs + GRACE_MS), deletionGracePeriodSeconds: GRACE_MS / 1000 } : {}), owner: `web-rs${p.revision}`,
    }))
  }

  /** Eviction: the pod terminates, its ReplicaSet starts a replacement at once. */
  evict(name: string): SimPod | undefined {
    const p = this.pods.find((x) => x.name === name && x.deletionMs === undefined)
    if (p === undefined) return undefined
    p.deletionMs = this.nowMs
    return this.create(this.nowMs, true, p)
  }

  /** A container restarted in place (liveness probe): same pod, unready for a while; in-process faults end. */
  restartContainer(name: string): void {
    const p = this.pods.find((x) => x.name === name && x.deletionMs === undefined)
    if (p === undefined) return
    p.readyAtMs = this.nowMs + CONTAINER_RESTART_MS
    p.byAction = true
    p.faults = p.faults.filter((f) => f.cure !== 'restart')
  }

  eject(name: string, untilMs: number): void {
    const p = this.pods.find((x) => x.name === name)
    if (p !== undefined) p.ejectedUntilMs = untilMs
  }

  /** Live pods kept out of service by a strategy (replacements and restarted containers not ready yet, ejected pods). */
  unavailableByAction(): number {
    let n = 0
    for (const p of this.pods) {
      if (p.deletionMs !== undefined) continue
      if ((p.byAction && this.nowMs < p.readyAtMs) || this.nowMs < p.ejectedUntilMs) n++
    }
    return n
  }

  /** The pod's behaviour in the current minute (for the per-request baselines). */
  podState(name: string): PodState | undefined {
    return this.state.get(name)
  }

  /** Moves the world to `t`: events due, rollout steps, pods gone after their grace period, minutes completed. */
  advanceTo(t: number): void {
    const dt = t - this.nowMs
    if (dt > 0) this.podMs += dt * this.live().length
    this.nowMs = t
    const events = this.scenario.events
    while (this.nextEvent < events.length && (events[this.nextEvent]?.atMs ?? Infinity) <= t) {
      const e = events[this.nextEvent++]
      if (e?.kind === 'pod-fault') this.attach(e)
      else if (e?.kind === 'rollout') this.startRollout(e)
    }
    this.stepRollout()
    for (let i = this.pods.length - 1; i >= 0; i--) {
      const p = this.pods[i]
      if (p?.deletionMs !== undefined && t >= p.deletionMs + GRACE_MS) this.pods.splice(i, 1)
    }
    while ((this.minute + 1) * MINUTE_MS <= t) {
      this.minute++
      this.completeMinute(this.minute)
    }
  }

  private attach(f: PodFault): void {
    const live = this.live().sort((a, b) => a.name.localeCompare(b.name))
    for (const [k, i] of f.targets.entries()) {
      const p = live[i % Math.max(1, live.length)]
      if (p === undefined) continue
      p.faults.push(f)
      if (f.truth === 'sick') this.carriers.push({ key: `${f.id}:${k}`, fault: f, pod: p.name })
    }
  }

  private startRollout(r: Rollout): void {
    this.revision++
    this.revisionErrors.set(this.revision, r.errorRatio)
    this.rollout = r
  }

  /** RollingUpdate: surge new pods, scale the old ones down as new ones become available. */
  private stepRollout(): void {
    const r = this.rollout
    if (r === undefined) return
    const t = this.nowMs
    const n = this.scenario.pods
    const live = this.live()
    const old = live.filter((p) => p.revision !== this.revision)
    if (old.length === 0) {
      this.rollout = undefined
      return
    }
    let fresh = live.length - old.length
    for (let total = live.length; total < n + r.maxSurge && fresh < n; total++, fresh++) this.create(t, false)
    const available = (p: SimPod): boolean => t >= p.readyAtMs + (p.revision === this.revision ? r.minReadyMs : 0)
    let availableCount = this.live().filter(available).length
    // Unready old pods go first (they cost no availability), then the oldest; never below n - maxUnavailable available.
    old.sort((a, b) => Number(available(a)) - Number(available(b)) || a.createdMs - b.createdMs)
    for (const p of old) {
      const after = availableCount - (available(p) ? 1 : 0)
      if (after < n - r.maxUnavailable) break
      p.deletionMs = t
      availableCount = after
    }
  }

  /** The fault's strength at `t` in [0, 1]: ramping up, full, or 0 before it starts and after it ends. */
  strength(f: PodFault, t: number): number {
    if (t < f.atMs || (f.endMs !== undefined && t >= f.endMs)) return 0
    return f.rampMs > 0 ? Math.min(1, (t - f.atMs) / f.rampMs) : 1
  }

  private activeOutage(t: number): Outage | undefined {
    return this.scenario.events.find((e): e is Outage => e.kind === 'outage' && t >= e.atMs && t < e.endMs)
  }

  private spikeFactor(t: number): number {
    let f = 1
    for (const e of this.scenario.events) if (e.kind === 'spike' && t >= e.atMs && t < (e).endMs) f *= e.factor
    return f
  }

  /** Traffic and answers of every serving pod for the minute that ends at minute index `m`. */
  private completeMinute(m: number): void {
    const s = this.scenario
    const t = m * MINUTE_MS
    const mid = t - MINUTE_MS / 2
    const serving = this.pods.filter((p) => this.serving(p, mid))
    const shapeAt = this.shape[Math.min(this.shape.length - 1, m - 1)] ?? 1
    const total = shapeAt * this.spikeFactor(mid) * s.ratePerPod * s.pods * 60
    const weights = serving.reduce((a, p) => a + p.weight, 0)
    const outage = this.activeOutage(mid)
    this.state.clear()
    for (const p of serving) {
      const key = [p.serial, m]
      const requests = poisson((total * p.weight) / weights, s.seed, 60, ...key)
      const faults = p.faults.map((f) => ({ f, k: this.strength(f, mid) })).filter((x) => x.k > 0)
      let cpu = requests / 60 / this.capacityPerPod + 0.02 * normal(s.seed, 61, ...key)
      for (const { f, k } of faults) cpu = Math.max(cpu, f.saturation * k + 0.01 * normal(s.seed, 62, ...key))
      cpu = Math.min(1, Math.max(0, cpu))
      const age = mid - p.readyAtMs
      const warm = age < 0 ? 1 : Math.exp(-age / 60_000)
      let ok = (1 - s.baseErrorRatio * (1 + 0.2 * normal(s.seed, 63, p.serial))) * (1 - 0.03 * Math.exp(-Math.max(0, age) / 20_000))
      ok *= 1 - (this.revisionErrors.get(p.revision) ?? 0)
      if (outage !== undefined) ok *= 1 - outage.errorRatio
      // Past 95 % CPU requests start timing out.
      if (cpu > 0.95) ok *= 1 - (cpu - 0.95) * 4
      let latency = s.baseLatencySeconds * (1 + 0.1 * normal(s.seed, 64, p.serial)) * (1 + 3 * Math.max(0, cpu - 0.6) ** 2) * (1 + 1.5 * warm)
      for (const { f, k } of faults) {
        ok *= 1 - f.errorRatio * k
        latency *= 1 + (f.latencyFactor - 1) * k
      }
      if (outage !== undefined) latency *= outage.latencyFactor
      latency *= Math.max(0.5, 1 + 0.05 * normal(s.seed, 65, ...key))
      const errorProbability = Math.min(1, Math.max(0, 1 - ok))
      const errors = binomial(requests, errorProbability, s.seed, 66, ...key)
      this.state.set(p.name, { requestsPerSecond: requests / 60, errorProbability, latencySeconds: latency, cpu })
      let byPod = this.buckets.get(p.name)
      if (byPod === undefined) {
        byPod = new Map()
        this.buckets.set(p.name, byPod)
      }
      byPod.set(m, { requests, errors, latencySum: latency * requests, cpu })
      byPod.delete(m - 10)
    }
    for (const [pod, byPod] of this.buckets) if (![...byPod.keys()].some((k) => k > m - 10)) this.buckets.delete(pod)
  }

  /** The podSignals queries at `tMs` (absolute time on the minute grid), as Prometheus would answer them. */
  at(signal: PodSignalName, tMs: number): ReadonlyMap<string, number> {
    const m = Math.round((tMs - this.originMs) / MINUTE_MS)
    const out = new Map<string, number>()
    if (m > this.minute) return out
    for (const [pod, byPod] of this.buckets) {
      let r = 0
      let e = 0
      let lat = 0
      let cpu = 0
      let n = 0
      for (let k = m - QUERY_WINDOW_MINUTES + 1; k <= m; k++) {
        const b = byPod.get(k)
        if (b === undefined) continue
        r += b.requests
        e += b.errors
        lat += b.latencySum
        cpu += b.cpu
        n++
      }
      if (n === 0) continue
      if (signal === 'saturation') out.set(pod, cpu / n)
      else if (signal === 'requests') out.set(pod, r)
      else if (r > 0) out.set(pod, signal === 'errorRatio' ? e / r : lat / r)
    }
    return out
  }

  /** A keyed draw for strategies that sample per request or per probe. */
  draw(...keys: number[]): number {
    return uniform(this.scenario.seed, 70, ...keys)
  }
}
