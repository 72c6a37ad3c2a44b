import type { PodScoreOptions } from '../../../src/engine/pods.js'
import { policySchema, type Policy, type PolicySpec } from '../../../src/policy/schema.js'
import { controllerConfigSchema } from '../../../src/config/controller-config.js'
import { ControllerReplay } from '../../../src/remediation/replay.js'
import { heldByMaxUnavailable } from '../../../src/remediation/remediation-loop.js'
import {
  consecutiveAfter, eject, FRESH_HOST, intervalTick, livenessProbe, probeFailureProbability, staticThresholdCheck,
  type HostState, type LivenessOptions, type OutlierOptions, type StaticThresholdOptions, type StaticThresholdState,
} from './baselines.js'
import type { Rollout, Scenario } from './scenarios.js'
import { aboveSiblings, markCaught, QUALIFYING_MINUTES, type ActionRecord, type ActionTruth, type ScenarioRun, type SickPod } from './score.js'
import { MINUTE_MS, World, type SimPod } from './world.js'

// Runs one scenario under one strategy: the world advances in 5 s ticks and each strategy acts at its own
// cadence. Foresight: the adapter refreshes every 15 s and the controller's round runs every 15 s
// (refreshIntervalMs and reconcile.intervalMs defaults), through the real scoring and decide (ControllerReplay);
// while a restart waits for maxUnavailable, the policy is evaluated again every reconcile.waitingIntervalMs, as
// the controller's loop does.

export type StrategySpec =
  | { kind: 'none'; name: string }
  | { kind: 'foresight'; name: string; remediation?: Partial<PolicySpec['remediation']>; threshold?: number; dipToleranceMs?: number; scoring?: PodScoreOptions; requests?: boolean }
  | { kind: 'static'; name: string; options: StaticThresholdOptions }
  | { kind: 'outlier'; name: string; options: OutlierOptions }
  | { kind: 'liveness'; name: string; options: LivenessOptions }

const TICK_MS = 5_000
const RECONCILE = controllerConfigSchema.shape.reconcile.parse(undefined)
const CADENCE_MS = 15_000
/** The follow-up cadence, on the world's tick grid. */
const WAITING_MS = Math.max(TICK_MS, Math.round(RECONCILE.waitingIntervalMs / TICK_MS) * TICK_MS)
/** Strategies act from here on: every one has seen ten minutes of the pods first. */
const WARMUP_MS = 10 * MINUTE_MS
/** Fixed origin of simulated time, so timestamps are real dates. */
const ORIGIN_MS = Date.UTC(2026, 0, 5)

function policyFor(spec: Extract<StrategySpec, { kind: 'foresight' }>): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'bench' },
    spec: {
      scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(http_requests_total[2m]))', capacityPerReplica: 10 }, maxReplicas: 100,
      podSignals: {
        errorRatioQuery: 'sum by (pod) (rate(http_requests_errors_total[2m])) / sum by (pod) (rate(http_requests_total[2m]))',
        latencyQuery: 'sum by (pod) (rate(http_request_duration_seconds_sum[2m])) / sum by (pod) (rate(http_request_duration_seconds_count[2m]))',
        saturationQuery: 'sum by (pod) (rate(container_cpu_usage_seconds_total[2m])) / sum by (pod) (kube_pod_container_resource_limits{resource="cpu"})',
        // The request count behind each error ratio (the same window); a policy may leave it out (requests: false).
        ...(spec.requests !== false ? { requestsQuery: 'sum by (pod) (increase(http_requests_total[2m]))' } : {}),
      },
      remediation: { mode: 'DryRun', ...spec.remediation },
    },
  })
}

/** Windows in which a restart cannot cure anything: dependency outages and bad rollouts until their rollback is done. */
function eventWindows(s: Scenario): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const e of s.events) {
    if (e.kind === 'outage') out.push([e.atMs, (e).endMs + 5 * MINUTE_MS])
    if (e.kind === 'rollout' && e.errorRatio > 0) {
      const rollback = s.events.find((x): x is Rollout => x.kind === 'rollout' && x.atMs > e.atMs)
      out.push([e.atMs, (rollback?.atMs ?? s.durationMs) + 10 * MINUTE_MS])
    }
  }
  return out
}

function classify(world: World, pod: SimPod | undefined, t: number, windows: ReadonlyArray<[number, number]>): { truth: ActionTruth; faultKey?: string } {
  if (pod !== undefined) {
    const c = world.carriers.find((x) => x.pod === pod.name && pod.faults.includes(x.fault) && world.strength(x.fault, t) > 0)
    if (c !== undefined) return { truth: 'sick', faultKey: c.key }
  }
  if (windows.some(([a, b]) => t >= a && t < b)) return { truth: 'event' }
  if (pod !== undefined && pod.faults.some((f) => f.truth === 'not-curable' && world.strength(f, t) > 0)) return { truth: 'futile' }
  return { truth: 'healthy' }
}

/** Geometric gap: successes before the next failure, for failure probability p. */
function gap(p: number, u: number): number {
  if (p >= 1) return 0
  if (p <= 0) return Number.POSITIVE_INFINITY
  return Math.floor(Math.log(1 - u) / Math.log(1 - p))
}

/**
 * One run. The run where nothing acts (`none`) also finds, per sick pod, when its error ratio had been >= 3x its
 * siblings' median for five minutes; the other runs take that from `qualified`, so every strategy is scored on
 * the same population.
 */
export async function runScenario(s: Scenario, strategy: StrategySpec, qualified?: ReadonlyMap<string, number>): Promise<ScenarioRun> {
  const qualifying = strategy.kind === 'none'
  const world = new World(s, ORIGIN_MS)
  const windows = eventWindows(s)
  const actions: ActionRecord[] = []
  const replay = strategy.kind === 'foresight' ? new ControllerReplay({ policy: policyFor(strategy), history: world, ...(strategy.threshold !== undefined ? { threshold: strategy.threshold } : {}), ...(strategy.dipToleranceMs !== undefined ? { dipToleranceMs: strategy.dipToleranceMs } : {}), ...(strategy.scoring !== undefined ? { scoring: strategy.scoring } : {}) }) : undefined
  let staticState: StaticThresholdState = new Map()
  const hosts = new Map<string, HostState>()
  const probeFailures = new Map<string, number>()
  const streaks = new Map<string, number>()
  const qualifiedAt = new Map<string, number>()
  let peak = 0
  let lastMinute = 0
  /** When the controller's next follow-up round is due (a restart waited for maxUnavailable), if any. */
  let followUpMs: number | undefined

  const act = (name: string, t: number, kind: 'evict' | 'eject' | 'container', untilMs = 0, why?: string): void => {
    const pod = world.pods.find((p) => p.name === name && p.deletionMs === undefined)
    const c = classify(world, pod, t, windows)
    actions.push({ tMs: t, pod: name, truth: c.truth, ...(c.faultKey !== undefined ? { faultKey: c.faultKey } : {}), ...(why !== undefined ? { why } : {}) })
    if (kind === 'evict') world.evict(name)
    else if (kind === 'container') world.restartContainer(name)
    else world.eject(name, untilMs)
  }

  for (let t = 0; t <= s.durationMs; t += TICK_MS) {
    world.advanceTo(t)
    if (t === WARMUP_MS) world.podMs = 0
    const acting = t >= WARMUP_MS
    const minute = Math.floor(t / MINUTE_MS)
    if (qualifying && minute > lastMinute) {
      lastMinute = minute
      qualify(world, ORIGIN_MS + minute * MINUTE_MS, t, streaks, qualifiedAt)
    }
    switch (strategy.kind) {
      case 'foresight': {
        if (replay === undefined) break
        if (t % CADENCE_MS === 5_000) await replay.refresh(ORIGIN_MS + t)
        const due = t % CADENCE_MS === 10_000 || t === followUpMs
        if (acting && due) {
          const round = await replay.round(ORIGIN_MS + t, world.listed())
          for (const d of round.decisions) if (round.outcomes.get(d.pod) === 'WouldRestart') act(d.pod, t, 'evict', 0, d.message)
          followUpMs = heldByMaxUnavailable(round) && WAITING_MS < RECONCILE.intervalMs ? t + WAITING_MS : undefined
        }
        break
      }
      case 'static': {
        if (acting && t % CADENCE_MS === 10_000) {
          // The same errorRatio query the policy uses, as an alert rule would evaluate it.
          const ratios = world.at('errorRatio', ORIGIN_MS + Math.floor(t / MINUTE_MS) * MINUTE_MS)
          const live = new Set(world.live().map((p) => p.name))
          const r = staticThresholdCheck(staticState, new Map([...ratios].filter(([p]) => live.has(p))), t, strategy.options)
          staticState = r.state
          for (const pod of r.restart) act(pod, t, 'evict')
        }
        break
      }
      case 'outlier': {
        if (!acting || t % strategy.options.intervalMs !== 0) break
        const o = strategy.options
        const live = world.live()
        for (const p of live) hosts.set(p.name, intervalTick(hosts.get(p.name) ?? FRESH_HOST, t))
        for (const p of live) {
          const st = world.podState(p.name)
          const h = hosts.get(p.name) ?? FRESH_HOST
          if (st === undefined || h.ejectedUntilMs > 0) continue
          const requests = Math.round(st.requestsPerSecond * (o.intervalMs / 1000))
          const r = consecutiveAfter(h.consecutive, requests, (i) => gap(st.errorProbability, world.draw(p.serial, t / 1000, i)), o)
          if (!r.tripped) {
            hosts.set(p.name, { ...h, consecutive: r.consecutive })
            continue
          }
          const ejectedNow = live.filter((x) => (hosts.get(x.name)?.ejectedUntilMs ?? 0) > 0).length
          const e = eject(h, ejectedNow, live.length, t, o)
          hosts.set(p.name, e.host)
          if (e.ejected) act(p.name, t, 'eject', e.host.ejectedUntilMs)
        }
        break
      }
      case 'liveness': {
        if (!acting || t % strategy.options.periodMs !== 0) break
        for (const p of world.live()) {
          const st = world.podState(p.name)
          if (st === undefined || t < p.readyAtMs) continue
          const failed = world.draw(p.serial, t / 1000, 99) < probeFailureProbability(st.errorProbability, st.latencySeconds, strategy.options.timeoutSeconds)
          const r = livenessProbe(probeFailures.get(p.name) ?? 0, failed, strategy.options)
          probeFailures.set(p.name, r.failures)
          if (r.restart) act(p.name, t, 'container')
        }
        break
      }
      case 'none':
        break
    }
    if (acting) peak = Math.max(peak, world.unavailableByAction() / s.pods)
  }
  const known = qualifying ? qualifiedAt : qualified ?? new Map<string, number>()
  const sick: SickPod[] = world.carriers.map((c) => {
    const at = known.get(c.key)
    return { key: c.key, faultAtMs: c.fault.atMs, ...(at !== undefined ? { qualifiedAtMs: at } : {}) }
  })
  return { scenario: s.name, family: s.family, pods: s.pods, strategy: strategy.name, actions, sick: markCaught(sick, actions), podDays: world.podMs / 86_400_000, peakUnavailable: peak }
}

/** One minute of the 3x-siblings rule for every sick pod still carrying its fault. */
function qualify(world: World, atMs: number, t: number, streaks: Map<string, number>, qualifiedAt: Map<string, number>): void {
  const ratios = world.at('errorRatio', atMs)
  for (const c of world.carriers) {
    if (qualifiedAt.has(c.key)) continue
    const v = ratios.get(c.pod)
    const siblings = [...ratios].filter(([p]) => p !== c.pod).map(([, x]) => x)
    // Only faults that raise errors: a latency leak at low traffic can meet 3x a median of 0 by chance alone.
    const ok = v !== undefined && c.fault.errorRatio > 0 && world.strength(c.fault, t) > 0 && aboveSiblings(v, siblings)
    const n = ok ? (streaks.get(c.key) ?? 0) + 1 : 0
    streaks.set(c.key, n)
    if (n >= QUALIFYING_MINUTES) qualifiedAt.set(c.key, t)
  }
}
