/**
 * The comparison the bench and `foresight backtest` both run: reactive HPAs, the predictive baselines
 * (Holt-Winters, FFT periodicity, moving average, simple exponential smoothing, damped Holt) and the real
 * Foresight engine, on one load series, through identical simulated HPAs and workloads.
 */
import { FftPeriodic, fitHoltWinters, HoltWinters, smoothingBaselines } from '../forecast/baselines.js'
import { describeSmoothingFit, fitSmoothing } from '../forecast/smoothing.js'
import type { LoadedModel } from '../model/runtime.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { HpaSpec } from './hpa.js'
import { countValid, lastSampleIndex, SeriesHistory, type LoadSeries } from './load.js'
import { simulate, type StrategyRun } from './simulate.js'
import { EngineDriver, ForecasterStrategy, ForesightStrategy, ReactiveStrategy, type Strategy } from './strategies.js'

export const STRATEGY = { reactive: 'reactive', holtWinters: 'holt-winters', fft: 'fft-periodic', movingAverage: 'moving-average', ses: 'ses', holtDamped: 'holt-damped', foresight: 'foresight' } as const

/** Strategy names of the simple forecasters, in the order smoothingBaselines returns them. */
const SMOOTHING_STRATEGIES = [STRATEGY.movingAverage, STRATEGY.ses, STRATEGY.holtDamped] as const

interface ComparisonOptions {
  load: LoadSeries
  fromMs: number
  toMs: number
  /** The Foresight policy; its capacity, horizon and bounds apply to every strategy. */
  policy: Policy
  /** More Foresight policies over the same load, simulated in the same engine (one batched inference per refresh). */
  variants?: readonly Policy[]
  model: LoadedModel
  startupDelaySeconds: number
  /** Window of the reactive HPA's rate metric. */
  reactiveRateWindowSeconds?: number
  /**
   * Extra reactive HPAs: a utilization below 1 targets that share of the capacity (0.8: AverageValue = 0.8 x
   * capacity), the usual way to buy headroom without prediction, which shows what reactive scaling gets for the
   * same cost; a longer rate window shows the cost of metric lag.
   */
  reactiveVariants?: ReadonlyArray<{ utilization?: number; rateWindowSeconds?: number }>
  /**
   * Foresight's knob swept: one more engine policy per value, o.policy with that spec.targetUtilization, run as
   * `foresight@N%` (the frontier, src/sim/frontier.ts). A value equal to the policy's own is not run twice.
   */
  foresightSweep?: readonly number[]
  /** Include the predictive baselines (Holt-Winters, FFT, moving average, SES, damped Holt). */
  baselines?: boolean
  /**
   * How often the engine recomputes: once per new sample by default (the load's step, at least 60 s), so on a
   * 5-minute series the engine decides at the cadence its input changes, as reactive's metric does.
   */
  refreshEverySeconds?: number
  hpa?: (strategy: string) => HpaSpec
  onProgress?: (doneMs: number, totalMs: number) => void
}

interface Comparison {
  runs: StrategyRun[]
  /** How the strategies were configured, for the report. */
  notes: string[]
  engineRefreshes: number
}

export class ComparisonError extends Error {
  override name = 'ComparisonError'
}

export async function compareStrategies(o: ComparisonOptions): Promise<Comparison> {
  const spec = o.policy.spec
  const stepSeconds = o.load.stepMs / 1000
  // The engine reads the history at spec.stepSeconds: any other step would repeat or skip the series' samples.
  for (const p of [o.policy, ...(o.variants ?? [])]) {
    if (p.spec.stepSeconds !== stepSeconds) throw new ComparisonError(`policy ${policyKey(p)}: spec.stepSeconds ${p.spec.stepSeconds} differs from the load series' step of ${stepSeconds} s; the engine must read the series at its own step`)
  }
  const daySteps = Math.round(86_400 / stepSeconds)
  const horizonSteps = Math.max(1, Math.ceil(spec.horizonSeconds / stepSeconds))
  const cap = spec.load.capacityPerReplica
  const notes: string[] = []
  const strategies: Strategy[] = [new ReactiveStrategy(STRATEGY.reactive, o.load, cap, o.reactiveRateWindowSeconds ?? stepSeconds)]
  for (const v of o.reactiveVariants ?? []) {
    const u = v.utilization ?? 1
    const w = v.rateWindowSeconds ?? o.reactiveRateWindowSeconds ?? stepSeconds
    const name = `${STRATEGY.reactive}${v.rateWindowSeconds !== undefined ? `(${w / 60}m)` : ''}${u !== 1 ? `@${Math.round(u * 100)}%` : ''}`
    strategies.push(new ReactiveStrategy(name, o.load, cap * u, w))
  }
  if (o.baselines ?? true) {
    // Holt-Winters parameters are fitted on the history before the simulated period only.
    const historyEnd = Math.max(0, lastSampleIndex(o.load, o.fromMs) + 1)
    const hw = fitHoltWinters(o.load.values, daySteps, historyEnd)
    notes.push(`holt-winters: day season of ${daySteps} steps, alpha ${hw.alpha} beta ${hw.beta} gamma ${hw.gamma} (fitted on the ${countValid(o.load.values, 0, historyEnd)} samples before the period)`)
    strategies.push(new ForecasterStrategy(STRATEGY.holtWinters, o.load, new HoltWinters(daySteps, hw), horizonSteps, cap))
    const fft = new FftPeriodic({ historySteps: 7 * daySteps, minHistorySteps: 2 * daySteps, minPeriodSteps: Math.max(2, Math.round(daySteps / 24)), candidatePeriods: [daySteps, 7 * daySteps], refitEverySteps: daySteps, minPowerShare: 0.05 })
    strategies.push(new ForecasterStrategy(STRATEGY.fft, o.load, fft, horizonSteps, cap))
    // The simple forecasters are chosen for what the strategy reads: the next step up to the horizon.
    const smoothing = fitSmoothing(o.load.values, historyEnd, [...new Set([1, horizonSteps])])
    notes.push(`${describeSmoothingFit(smoothing)} (fitted on the same samples)`)
    smoothingBaselines(smoothing).forEach((f, i) => strategies.push(new ForecasterStrategy(SMOOTHING_STRATEGIES[i] ?? f.name, o.load, f, horizonSteps, cap)))
    notes.push(`baselines provision for max(forecast over ${horizonSteps} steps, present)`)
  }
  const sweep = sweepPolicies(o.policy, o.foresightSweep ?? [])
  const policies = [o.policy, ...(o.variants ?? []), ...sweep.map((s) => s.policy)]
  const driver = new EngineDriver({ model: o.model, history: new SeriesHistory(o.load), policies, refreshEverySeconds: o.refreshEverySeconds ?? Math.max(60, stepSeconds) })
  strategies.push(new ForesightStrategy(STRATEGY.foresight, driver, o.policy))
  for (const v of o.variants ?? []) strategies.push(new ForesightStrategy(`foresight:${policyKey(v).split('/')[1] ?? ''}`, driver, v))
  for (const s of sweep) strategies.push(new ForesightStrategy(s.name, driver, s.policy))
  const runs = await simulate({
    load: o.load,
    fromMs: o.fromMs,
    toMs: o.toMs,
    strategies,
    workload: { capacityPerReplica: cap, startupDelaySeconds: o.startupDelaySeconds },
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    ...(o.hpa !== undefined ? { hpa: o.hpa } : {}),
    ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
  })
  return { runs, notes, engineRefreshes: driver.refreshes }
}

/** `foresight@N%`: the sweep's name for a target utilization, as reactive@N% names the reactive sweep. */
const sweepName = (base: string, utilization: number): string => `${base}@${Math.round(utilization * 1000) / 10}%`

function sweepPolicies(policy: Policy, utilizations: readonly number[]): Array<{ name: string; policy: Policy }> {
  const own = policy.spec.targetUtilization
  const values = [...new Set(utilizations)].filter((u) => u !== own)
  return values.map((u) => {
    const tag = String(Math.round(u * 1000)).padStart(4, '0')
    return { name: sweepName(STRATEGY.foresight, u), policy: { ...policy, metadata: { ...policy.metadata, name: `${policy.metadata.name}-sweep-u${tag}` }, spec: { ...policy.spec, targetUtilization: u } } }
  })
}

/**
 * Headroom is what reactive users buy instead of prediction: the under-provisioned minutes of a reactive HPA
 * that spends the same replica-minutes as `name`, interpolated between the runs of the reactive@N% curve (and
 * plain reactive); undefined when `name`'s cost lies outside that curve.
 */
export function reactiveAtEqualCost(runs: readonly StrategyRun[], name: string): number | undefined {
  const m = runs.find((r) => r.name === name)?.metrics
  if (m === undefined) return undefined
  const curve = runs.filter((r) => r.name === STRATEGY.reactive || r.name.startsWith(`${STRATEGY.reactive}@`)).map((r) => r.metrics).sort((a, b) => a.replicaMinutes - b.replicaMinutes)
  const i = curve.findIndex((c) => c.replicaMinutes >= m.replicaMinutes)
  const hi = curve[i]
  const lo = curve[i - 1]
  if (i <= 0 || hi === undefined || lo === undefined) return undefined
  const f = (m.replicaMinutes - lo.replicaMinutes) / (hi.replicaMinutes - lo.replicaMinutes)
  return lo.underProvisionedMinutes + f * (hi.underProvisionedMinutes - lo.underProvisionedMinutes)
}

/**
 * The best of all baselines for `name`: of every other strategy (each reactive HPA, each predictive baseline)
 * that spends no more replica-minutes, the one with the fewest under-provisioned minutes; undefined when every
 * baseline costs more. Cheaper is the fair side: a baseline that buys its minutes with more replicas is not "better".
 */
export function bestBaselineAtCost(runs: readonly StrategyRun[], name: string): { name: string; underProvisionedMinutes: number; replicaMinutes: number } | undefined {
  const m = runs.find((r) => r.name === name)?.metrics
  if (m === undefined) return undefined
  let best: StrategyRun | undefined
  for (const r of runs) {
    // Foresight's own runs (variants, the knob's sweep) are not baselines: the sweep reaches below the defaults' cost.
    if (r.name === STRATEGY.foresight || r.name.startsWith(`${STRATEGY.foresight}:`) || r.name.startsWith(`${STRATEGY.foresight}@`)) continue
    if (r.metrics.replicaMinutes > m.replicaMinutes) continue
    if (best === undefined || r.metrics.underProvisionedMinutes < best.metrics.underProvisionedMinutes) best = r
  }
  return best === undefined ? undefined : { name: best.name, underProvisionedMinutes: best.metrics.underProvisionedMinutes, replicaMinutes: best.metrics.replicaMinutes }
}

/** One report line: `name` against the best of all baselines at no more cost. */
export function bestBaselineLine(runs: readonly StrategyRun[], name: string): string {
  const m = runs.find((r) => r.name === name)?.metrics
  const b = bestBaselineAtCost(runs, name)
  if (m === undefined) return `${name}: n/a`
  if (b === undefined) return `${name}: every baseline spends more replica-minutes (${m.replicaMinutes.toFixed(0)}); no best-of-all at equal or lower cost`
  const ratio = b.underProvisionedMinutes > 0 ? (m.underProvisionedMinutes / b.underProvisionedMinutes).toFixed(3) : 'n/a'
  return `${name}: under-provisioned ${m.underProvisionedMinutes.toFixed(0)} min / best of all baselines at no more replica-minutes (${b.name}, ${b.underProvisionedMinutes.toFixed(0)} min at ${b.replicaMinutes.toFixed(0)} replica-min) = ${ratio}`
}
