import type { Logger } from 'pino'
import { DEFAULT_SCORER, OnlineAnomalyScorer, type AnomalyCause } from '../anomaly/scorer.js'
import { adapt, AdaptiveState, DEFAULT_ADAPTIVE, summarize, wantsShadow, type AdaptiveParams } from '../forecast/adaptive.js'
import { copySlot, hasSeasonal, maskSeasonal } from '../forecast/batch-slots.js'
import { adaptiveNote } from '../forecast/adaptive-text.js'
import { allocateBatch, HORIZON_STEPS, RECENT_STEPS, SEASONAL_LEAD_STEPS, SEASONAL_ROWS, SEASONAL_STEPS } from '../forecast/windows.js'
import type { LoadedModel } from '../model/runtime.js'
import type { Policy } from '../policy/schema.js'
import { policyKey } from '../policy/key.js'
import { dampen, EMPTY_DAMPING, type DampingState } from './damping.js'
import { onFailure, servedText, type LastGood } from './fallback.js'
import { ResultCache, type CommittedResult } from './result-cache.js'
import { recommend } from './replicas.js'
import { bridgeGaps, fillTail, latestFinite } from './series.js'
import { scorePodSignals } from './pods.js'
import type { Explanation, PolicyResult, RefreshTimings, ServingEngine } from './types.js'
import type { HistoryReader, PodSignalReader, PodSignals, Window, WindowResult } from '../ports.js'
import { pushTo } from '../util/group.js'
import { turnBefore } from './turns.js'
import { withSlab } from '../util/slab.js'

/** What a failed inference puts in the served message: the onnxruntime error itself goes to the log only. */
export const INFERENCE_FAILED = 'forecast: model inference failed'
/** Likewise for an unexpected error while one policy's result is computed. */
export const INTERNAL_ERROR = 'internal error while computing the result'

const DAY_SECONDS = 86_400
const WEEK_SECONDS = 7 * DAY_SECONDS
/** The model needs a whole recent window; below this many real samples the engine answers from the present. */
const MIN_RECENT_SAMPLES = 45
const MAX_BRIDGED_GAP_STEPS = 5
const MAX_TAIL_FILL_STEPS = 2
interface PolicyState {
  damping: DampingState
  failures: number
  lastGood?: LastGood
  scorer: OnlineAnomalyScorer
  /** Origin of the horizon-1 forecast the scorer is waiting to compare with the next sample. */
  expectingMs?: number
  lastScore?: { score: number; cause: AnomalyCause }
  /** Spec as of the latest refresh, for the staleness backstop. */
  spec?: Policy['spec']
  /** Per-workload adaptation of the served forecast (src/forecast/adaptive.ts); in memory only. */
  adaptive?: AdaptiveState
}

interface EngineOptions {
  model: LoadedModel
  history: HistoryReader
  /** Per-pod signals for pod anomaly scores; policies without spec.podSignals are not asked. */
  pods?: PodSignalReader
  log: Logger
  now?: () => number
  /** Current replicas of the scale target, for the currentReplicas fallbacks; unknown without a cluster. */
  currentReplicas?: (p: Policy) => Promise<number | undefined>
  /** How often refresh() is called: a result is overdue once older than maxStalenessSeconds plus this. */
  refreshIntervalMs?: number
  /** Serve the per-workload adaptation of the model's forecast (default) rather than the model's raw quantiles. */
  adaptive?: boolean
  /** With the adaptation, also recalibrate the served p10/p90 online (on unless false; the replica rule reads the model's band). */
  calibrate?: boolean
}

interface Prepared {
  policy: Policy
  key: string
  tEndMs: number
  recent?: Window
  explain: Explanation
  errors: string[]
  observed?: { value: number; timeMs: number }
  slot?: number
  /** The seasonal gate's shadow forecast: the same window with the other seasonal setting. */
  shadowSlot?: number
  /** Day-ago and week-ago windows, when read. */
  seasonal?: Array<WindowResult | undefined>
  /** The forecast step failed (inference): the policy goes through the failure path although it has data. */
  failed?: boolean
}

/**
 * One refresh computes every due policy: history is read in grouped queries, all windows go through ONE batched
 * inference, and each policy's result replaces its previous one atomically in the cache the API reads.
 */
export class Engine implements ServingEngine {
  private readonly states = new Map<string, PolicyState>()
  private readonly results: ResultCache
  private readonly now: () => number
  private readonly adaptiveParams: AdaptiveParams

  constructor(private readonly opts: EngineOptions) {
    this.now = opts.now ?? Date.now
    this.adaptiveParams = { ...DEFAULT_ADAPTIVE, calibrate: opts.calibrate !== false }
    this.results = new ResultCache({ log: opts.log, now: this.now, ...(opts.refreshIntervalMs !== undefined ? { refreshIntervalMs: opts.refreshIntervalMs } : {}) })
  }

  result(key: string): PolicyResult | undefined {
    return this.results.result(key)
  }

  allResults(namespace?: string): IterableIterator<PolicyResult> {
    return this.results.allResults(namespace)
  }

  /** The results of these policies of the namespace that have one: a lookup each, however many policies there are. */
  resultsNamed(namespace: string, names: Iterable<string>): IterableIterator<PolicyResult> {
    return this.results.resultsNamed(namespace, names)
  }

  /**
   * Every result committed since the last call, with its backstop inputs, for a host on another thread that
   * serves them; this engine keeps none (each refresh commits one per policy), so they are not held twice.
   */
  takeCommitted(): Array<[string, CommittedResult]> {
    return this.results.take()
  }

  /** Drops state of policies that no longer exist. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of [...this.states.keys()]) if (!keys.has(k)) this.states.delete(k)
    this.results.retain(keys)
  }

  /**
   * Never rejects for one policy's sake: a failed history read, inference or pod-signal read, or an error while
   * one policy's result is computed, sends the policies it concerns through the failure path (last good value
   * while fresh, then the fallback); the others are computed as usual and every policy gets a result.
   */
  async refresh(policies: readonly Policy[]): Promise<{ timings: RefreshTimings }> {
    const nowMs = this.now()
    // A new policy's state holds its anomaly scorer's buffers: 10,000 at once is a long allocation.
    for (const [i, p] of policies.entries()) {
      await turnBefore(i)
      const s = this.state(policyKey(p))
      s.spec = p.spec
      // Likewise its adaptation state (about 1.4 KB), made here in turns rather than all at once below.
      if (this.opts.adaptive !== false) s.adaptive ??= withSlab('adaptive', () => new AdaptiveState(phaseOf(targetKey(p))))
    }
    const t0 = performance.now()
    const prepared = await this.readHistory(policies, nowMs)
    const t1 = performance.now()
    const batch = allocateBatch(Math.max(1, prepared.length + this.shadowsWanted(prepared)))
    let count = 0
    for (const [i, p] of prepared.entries()) {
      await turnBefore(i)
      try {
        if (this.pack(p, batch, count)) {
          p.slot = count++
          if (this.packShadow(p, batch, p.slot, count)) p.shadowSlot = count++
        }
      } catch (err) {
        this.opts.log.error({ err, policy: p.key }, 'unable to prepare the model inputs')
        p.errors.push(INTERNAL_ERROR)
        p.failed = true
      }
    }
    const t2 = performance.now()
    const quantiles = await this.infer(prepared, batch, count)
    const t3 = performance.now()
    const podSignals = await this.readPods(policies, nowMs)
    for (const [i, p] of prepared.entries()) {
      await turnBefore(i)
      try {
        await this.finish(p, quantiles, nowMs, podSignals.get(p.key))
      } catch (err) {
        // Nothing of this policy's computation was committed (finish commits last): record a failed refresh.
        this.opts.log.error({ err, policy: p.key }, 'unable to compute the policy result')
        try {
          p.errors.push(INTERNAL_ERROR)
          await this.fail(p, nowMs)
        } catch (err2) {
          this.opts.log.error({ err: err2, policy: p.key }, 'unable to record the failed refresh')
        }
      }
    }
    this.retain(new Set(policies.map(policyKey)))
    return { timings: { historyMs: t1 - t0, featuresMs: t2 - t1, inferenceMs: t3 - t2 } }
  }

  /** One batched inference; when it fails every policy in the batch is a failed forecast step for this refresh. */
  private async infer(prepared: readonly Prepared[], batch: ReturnType<typeof allocateBatch>, count: number): Promise<Float32Array> {
    if (count === 0) return new Float32Array(0)
    try {
      const quantiles = await this.opts.model.forecast(batch, count)
      if (quantiles.length < count * HORIZON_STEPS * 3) throw new Error(`model returned ${quantiles.length} values for ${count} windows, expected ${count * HORIZON_STEPS * 3}`)
      return quantiles
    } catch (err) {
      const affected = prepared.filter((p) => p.slot !== undefined)
      this.opts.log.error({ err, policies: affected.length }, 'model inference failed: the affected policies are served as failed refreshes')
      for (const p of affected) {
        p.errors.push(INFERENCE_FAILED)
        p.failed = true
      }
      return new Float32Array(0)
    }
  }

  /** Pod signals are extra: when they cannot be read the replica count is still computed, without pod scores. */
  private async readPods(policies: readonly Policy[], nowMs: number): Promise<Map<string, PodSignals | { error: string }>> {
    const withPods = policies.filter((p) => p.spec.podSignals !== undefined)
    if (this.opts.pods === undefined || withPods.length === 0) return new Map()
    try {
      return await this.opts.pods.read(withPods, nowMs)
    } catch (err) {
      this.opts.log.warn({ err, policies: withPods.length }, 'unable to read pod signals')
      return new Map(withPods.map((p) => [policyKey(p), { error: 'unable to read pod signals' }]))
    }
  }

  /** Replaces a policy's result (the only place results are written). */
  private commit(key: string, r: PolicyResult): void {
    const s = this.state(key)
    const spec = s.spec
    // The backstop reads the state as of this commit: until the next one, nothing else changes it.
    const backstop = spec === undefined ? undefined : { maxStalenessSeconds: spec.maxStalenessSeconds, fallback: spec.fallback, failures: s.failures, ...(s.lastGood !== undefined ? { lastGood: s.lastGood } : {}) }
    this.results.put(key, { result: r, atMs: this.now(), ...(backstop !== undefined ? { backstop } : {}) })
  }

  /** The scale target's current replicas; unknown when there is no cluster or it cannot be read. */
  private async currentReplicas(p: Policy): Promise<number | undefined> {
    try {
      return await this.opts.currentReplicas?.(p)
    } catch (err) {
      this.opts.log.warn({ err, policy: policyKey(p) }, 'unable to read the current replicas')
      return undefined
    }
  }

  private state(key: string): PolicyState {
    let s = this.states.get(key)
    if (s === undefined) {
      // The detector bench:nab scores, with the same settings: what is served is what was measured.
      s = { damping: EMPTY_DAMPING, failures: 0, scorer: withSlab('scorer', () => new OnlineAnomalyScorer(DEFAULT_SCORER)) }
      this.states.set(key, s)
    }
    return s
  }

  private async readHistory(policies: readonly Policy[], nowMs: number): Promise<Prepared[]> {
    const byStep = new Map<number, Policy[]>()
    for (const p of policies) pushTo(byStep, p.spec.stepSeconds, p)
    const prepared: Prepared[] = []
    for (const [stepSeconds, group] of byStep) {
      const stepMs = stepSeconds * 1000
      const tEndMs = Math.floor(nowMs / stepMs) * stepMs
      const recentStart = tEndMs - (RECENT_STEPS - 1) * stepMs
      const seasonalRange = (periodSeconds: number): { startMs: number; endMs: number; stepSeconds: number } => ({
        startMs: tEndMs - periodSeconds * 1000 - (SEASONAL_STEPS - SEASONAL_LEAD_STEPS - 1) * stepMs,
        endMs: tEndMs - periodSeconds * 1000 + SEASONAL_LEAD_STEPS * stepMs,
        stepSeconds,
      })
      // The readers report errors per policy; one that rejects fails the whole group's read the same way.
      const read = (range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> =>
        this.opts.history.read(group, range).catch((err: unknown) => {
          this.opts.log.error({ err, stepSeconds, policies: group.length }, 'load history read failed')
          return new Map(group.map((p): [string, WindowResult] => [policyKey(p), { ok: false, error: 'unable to read the load history' }]))
        })
      const [recent, day, week] = await Promise.all([
        read({ startMs: recentStart, endMs: tEndMs, stepSeconds }),
        read(seasonalRange(DAY_SECONDS)),
        read(seasonalRange(WEEK_SECONDS)),
      ])
      for (const policy of group) {
        const key = policyKey(policy)
        const r = recent.get(key)
        // The model forecasts HORIZON_STEPS steps: a longer spec.horizonSeconds is clamped, and said so.
        const wantedSteps = Math.ceil(policy.spec.horizonSeconds / stepSeconds)
        const explain: Explanation = {
          stepSeconds,
          horizonSteps: Math.min(HORIZON_STEPS, wantedSteps),
          ...(wantedSteps > HORIZON_STEPS ? { requestedHorizonSeconds: policy.spec.horizonSeconds } : {}),
          capacityPerReplica: policy.spec.load.capacityPerReplica,
          bounds: { minReplicas: policy.spec.minReplicas, maxReplicas: policy.spec.maxReplicas },
          failures: 0,
          errors: [],
        }
        const p: Prepared = { policy, key, tEndMs, explain, errors: explain.errors }
        if (r === undefined || !r.ok) {
          explain.errors.push(`load history: ${r?.ok === false ? r.error : 'no answer'}`)
        } else {
          p.recent = r.window
          p.seasonal = [day.get(key), week.get(key)]
        }
        prepared.push(p)
      }
    }
    return prepared
  }

  private adaptiveState(p: Prepared): AdaptiveState | undefined {
    return this.opts.adaptive === false ? undefined : this.states.get(p.key)?.adaptive
  }

  private shadowsWanted(prepared: readonly Prepared[]): number {
    return prepared.reduce((n, p) => {
      const a = p.recent !== undefined ? this.adaptiveState(p) : undefined
      return n + (a !== undefined && p.recent !== undefined && wantsShadow(a, p.tEndMs / p.recent.stepMs, this.adaptiveParams) ? 1 : 0)
    }, 0)
  }

  /** Applies the seasonal gate to the packed slot and, when due, packs the gate's shadow forecast into `to`. */
  private packShadow(p: Prepared, batch: ReturnType<typeof allocateBatch>, slot: number, to: number): boolean {
    const a = p.recent !== undefined ? this.adaptiveState(p) : undefined
    if (a === undefined || p.recent === undefined || !hasSeasonal(batch, slot)) return false
    const due = wantsShadow(a, p.tEndMs / p.recent.stepMs, this.adaptiveParams) && to < batch.capacity
    if (due) copySlot(batch, slot, to)
    if (a.masked) maskSeasonal(batch, slot)
    else if (due) maskSeasonal(batch, to)
    return due
  }

  /**
   * The served quantiles: the model's, adapted to this workload unless adaptation is off; and the upper band the
   * replica rule provisions for (the model's p90, or the adapted median plus the model's spread: `adapt`).
   */
  private served(p: Prepared, quantiles: Float32Array, slot: number): { q: Float32Array; band: Float32Array; adaptive?: AdaptiveState } {
    const model = quantiles.subarray(slot * HORIZON_STEPS * 3, (slot + 1) * HORIZON_STEPS * 3)
    const band = new Float32Array(HORIZON_STEPS)
    const a = this.adaptiveState(p)
    if (a === undefined || p.recent === undefined) {
      for (let h = 0; h < HORIZON_STEPS; h++) band[h] = model[h * 3 + 2] ?? NaN
      return { q: model, band }
    }
    const out = new Float32Array(HORIZON_STEPS * 3)
    const shadow = p.shadowSlot !== undefined ? quantiles.subarray(p.shadowSlot * HORIZON_STEPS * 3, (p.shadowSlot + 1) * HORIZON_STEPS * 3) : undefined
    const [day, week] = p.seasonal ?? []
    adapt(a, {
      originStep: p.tEndMs / p.recent.stepMs,
      window: p.recent.values,
      model,
      ...(shadow !== undefined ? { shadow } : {}),
      ...(day?.ok === true ? { day: day.window.values } : {}),
      ...(week?.ok === true ? { week: week.window.values } : {}),
    }, out, this.adaptiveParams, band)
    return { q: out, band, adaptive: a }
  }

  /** Writes the model inputs of `p` into slot `slot`; false when the policy cannot be forecast (cold start). */
  private pack(p: Prepared, batch: ReturnType<typeof allocateBatch>, slot: number): boolean {
    if (p.recent === undefined) return false
    const values = Float64Array.from(p.recent.values)
    // A load is never negative (a query subtracting counters, deriv, an offset gone wrong): such data is not
    // forecast from nor served as a load, the refresh fails with the reason.
    const lowest = values.reduce((min, v) => (v < min ? v : min), 0)
    if (lowest < 0) {
      p.errors.push(`load history: the load query returned a negative value (${lowest.toPrecision(4)}); a load is never negative`)
      p.failed = true
      return false
    }
    const real = values.reduce((n, v) => n + (Number.isFinite(v) ? 1 : 0), 0)
    const latest = latestFinite(values, MAX_TAIL_FILL_STEPS + 1)
    if (latest !== undefined) p.observed = { value: latest.value, timeMs: p.tEndMs - latest.age * p.recent.stepMs }
    fillTail(values, MAX_TAIL_FILL_STEPS)
    const missing = bridgeGaps(values, MAX_BRIDGED_GAP_STEPS)
    p.explain.recentWindow = { startMs: p.recent.startMs, samples: real, missing }
    if (real < MIN_RECENT_SAMPLES || missing > 0 || values.length !== RECENT_STEPS) return false
    batch.recent.set(values, slot * RECENT_STEPS)
    const seasonal = p.seasonal ?? []
    const available: boolean[] = []
    for (let r = 0; r < SEASONAL_ROWS; r++) {
      const res = seasonal[r]
      const off = (slot * SEASONAL_ROWS + r) * SEASONAL_STEPS
      let ok = res?.ok === true && res.window.values.length === SEASONAL_STEPS
      if (ok && res?.ok === true) {
        const row = Float64Array.from(res.window.values)
        ok = bridgeGaps(row, MAX_BRIDGED_GAP_STEPS) === 0 && row.every(Number.isFinite)
        if (ok) batch.seasonal.set(row, off)
      }
      if (!ok) batch.seasonal.fill(0, off, off + SEASONAL_STEPS)
      batch.seasonalMask[slot * SEASONAL_ROWS + r] = ok ? 1 : 0
      available.push(ok)
    }
    p.explain.seasonalAvailable = { day: available[0] ?? false, week: available[1] ?? false }
    return true
  }

  private base(p: Prepared, nowMs: number): Pick<PolicyResult, 'policy' | 'namespace' | 'name' | 'computedAtMs' | 'modelVersion'> {
    return { policy: p.key, namespace: p.policy.metadata.namespace, name: p.policy.metadata.name, computedAtMs: nowMs, modelVersion: this.opts.model.meta.version }
  }

  /** A failed refresh of one policy: what onFailure decides (last good value while fresh, then the fallback). */
  private async fail(p: Prepared, nowMs: number): Promise<void> {
    const s = this.state(p.key)
    const spec = p.policy.spec
    s.failures++
    p.explain.failures = s.failures
    const live = spec.fallback.behavior === 'static' ? undefined : await this.currentReplicas(p.policy)
    // The live count may be anything (a manual scale, another controller): what is served stays within the bounds.
    const current = live === undefined ? undefined : Math.min(spec.maxReplicas, Math.max(spec.minReplicas, live))
    const d = onFailure({ consecutiveFailures: s.failures, nowMs, maxStalenessSeconds: spec.maxStalenessSeconds, fallback: spec.fallback, ...(s.lastGood !== undefined ? { lastGood: s.lastGood } : {}), ...(current !== undefined ? { currentReplicas: current } : {}) })
    const message = d.kind === 'serve' ? `${servedText(d)} after ${s.failures} failed refresh(es): ${p.errors.join('; ')}` : `no data to compute from: ${p.errors.join('; ')}`
    this.opts.log.warn({ policy: p.key, failures: s.failures, errors: p.errors, reason: d.reason }, 'policy refresh failed')
    this.commit(p.key, { ...this.base(p, nowMs), explain: p.explain, ...(d.kind === 'serve' ? { desiredReplicas: d.replicas } : {}), reason: d.reason, message, dataTimeMs: d.reason === 'StaleValue' && s.lastGood !== undefined ? s.lastGood.dataTimeMs : nowMs })
  }

  /** Computes one policy's result and only then commits it with its state, so an error leaves nothing half-applied. */
  private async finish(p: Prepared, quantiles: Float32Array, nowMs: number, signals: PodSignals | { error: string } | undefined): Promise<void> {
    if (p.observed === undefined || p.failed === true) {
      if (p.observed === undefined && p.recent !== undefined && p.failed !== true) p.explain.errors.push('load history: no sample in the last minutes')
      return this.fail(p, nowMs)
    }
    const s = this.state(p.key)
    const spec = p.policy.spec
    const bounds = { minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, capacityPerReplica: spec.load.capacityPerReplica }
    const observed = p.observed
    const horizonSeconds = p.explain.horizonSteps * p.explain.stepSeconds
    let upper: Float32Array | undefined
    let forecast: PolicyResult['forecast']
    let adaptive: AdaptiveState | undefined
    if (p.slot !== undefined) {
      const served = this.served(p, quantiles, p.slot)
      const q = served.q
      adaptive = served.adaptive
      upper = served.band
      const hi = (p.explain.horizonSteps - 1) * 3
      // The horizon the numbers are for, not spec.horizonSeconds: it is clamped to what the model forecasts.
      forecast = { horizonSeconds, p10: q[hi] ?? NaN, p50: q[hi + 1] ?? NaN, p90: q[hi + 2] ?? NaN }
    }
    const rec = recommend(upper ?? [], p.explain.horizonSteps, observed.value, { ...bounds, targetUtilization: spec.targetUtilization })
    const damped = dampen(s.damping, rec.replicas, nowMs, spec.scaleDown)
    const explain: Explanation = {
      ...p.explain,
      errors: [...p.explain.errors],
      observedLoad: observed.value,
      peakForecastLoad: rec.peakForecastLoad,
      targetUtilization: spec.targetUtilization,
      ...(upper !== undefined ? { forecastReplicas: rec.forecastReplicas } : {}),
      presentReplicas: rec.presentReplicas,
      recommendedReplicas: rec.replicas,
      dampedReplicas: damped.served,
      ...(adaptive !== undefined ? { adaptive: summarize(adaptive, this.adaptiveParams) } : {}),
    }
    const pods = podResults(signals, explain)
    const coldStart = p.slot === undefined
    const anomaly = this.score(s, p, quantiles, observed)
    const result: PolicyResult = {
      ...this.base(p, nowMs),
      explain,
      desiredReplicas: damped.served,
      reason: coldStart ? 'ColdStart' : 'Predicted',
      message: coldStart
        ? `too little history for a forecast (${p.explain.recentWindow?.samples ?? 0} of ${RECENT_STEPS} samples): serving what the observed load needs`
        : `forecast ${rec.peakForecastLoad.toPrecision(4)} when new pods are ready (${horizonSeconds}s) needs ${rec.forecastReplicas} at ${Math.round(spec.targetUtilization * 100)}% utilisation; observed ${observed.value.toPrecision(4)} needs ${rec.presentReplicas}${boundsNote(rec, spec)}${explain.adaptive !== undefined ? `; ${adaptiveNote(explain.adaptive)}` : ''}`,
      dataTimeMs: observed.timeMs,
      observedLoad: observed.value,
      ...(forecast !== undefined ? { forecast } : {}),
      ...(anomaly !== undefined ? { anomaly } : {}),
      ...pods,
    }
    s.failures = 0
    s.damping = damped.state
    s.lastGood = { replicas: damped.served, dataTimeMs: observed.timeMs, refreshedAtMs: nowMs }
    this.commit(p.key, result)
  }

  /** Feeds the scorer once per new sample: the horizon-1 forecast made a step earlier against what arrived. */
  private score(s: PolicyState, p: Prepared, quantiles: Float32Array, observed: { value: number; timeMs: number }): PolicyResult['anomaly'] {
    if (s.expectingMs === undefined || observed.timeMs > s.expectingMs) {
      if (s.expectingMs !== undefined) s.lastScore = { score: s.scorer.score(observed.value), cause: s.scorer.cause }
      if (p.slot !== undefined) {
        const off = p.slot * HORIZON_STEPS * 3
        s.scorer.expect(quantiles[off] ?? NaN, quantiles[off + 1] ?? NaN, quantiles[off + 2] ?? NaN)
        s.expectingMs = observed.timeMs
      }
    }
    // Until a forecast has met the sample it predicted there is no evidence either way.
    if (s.lastScore === undefined) return { score: 0, class: 'load', reason: 'warming-up' }
    return { score: s.lastScore.score, class: 'load', reason: s.lastScore.cause }
  }
}

/**
 * The workload a policy scales: the shadow phase follows it rather than the policy's name, so a copy of a policy
 * under another name (the backtest's targetUtilization sweep) adapts exactly as the policy does.
 */
function targetKey(p: Policy): string {
  const r = p.spec.scaleTargetRef
  return `${p.metadata.namespace}/${r.kind}/${r.name}`
}

/** Spreads the policies' shadow forecasts (the seasonal gate's) over refreshes. */
function phaseOf(key: string): number {
  let h = 0
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) % 7919
  return h
}

/** Says so when minReplicas or maxReplicas, not the load, decided the recommendation. */
function boundsNote(rec: { forecastReplicas: number; presentReplicas: number; replicas: number }, spec: { minReplicas: number; maxReplicas: number }): string {
  const needed = Math.max(rec.forecastReplicas, rec.presentReplicas)
  if (rec.replicas > needed) return `; minReplicas ${spec.minReplicas}`
  if (rec.replicas < needed) return `; maxReplicas ${spec.maxReplicas}`
  return ''
}

function podResults(signals: PodSignals | { error: string } | undefined, explain: Explanation): Pick<PolicyResult, 'pods'> {
  if (signals === undefined) return {}
  if ('error' in signals && typeof signals.error === 'string') {
    explain.errors.push(`pod signals: ${signals.error}`)
    return {}
  }
  return { pods: scorePodSignals(signals as PodSignals).map(({ pod, score, class: cls, reason }) => ({ pod, score, class: cls, reason })) }
}
