/**
 * `foresight backtest`: replays the user's own load history through a reactive HPA, the predictive baselines and
 * the real engine with the policy's settings, and reports what each would have done. Read-only: nothing is scaled.
 */
import { HORIZON_STEPS, RECENT_STEPS } from '../forecast/windows.js'
import type { HistoryReader, Window } from '../ports.js'
import { loadBundledModel, type LoadedModel } from '../model/runtime.js'
import { policyKey, type Policy } from '../policy/schema.js'
import { comparisonCharts, frontierChart } from './charts.js'
import { bestBaselineLine, compareStrategies, reactiveAtEqualCost, STRATEGY } from './compare.js'
import { defaultHpaSpec, type HpaSpec } from './hpa.js'
import { countValid, type LoadSeries } from './load.js'
import { frontier, frontierTable, isSweepOnly, SWEEP, type Frontier } from './frontier.js'
import { comparisonTable } from './report.js'
import type { StrategyRun } from './simulate.js'

/** A range query of the policy's load query: samples at startMs + i * stepSeconds up to endMs, NaN for gaps. */
type FetchLoadRange = (startMs: number, endMs: number, stepSeconds: number) => Promise<Window>

export interface BacktestProgress {
  phase: 'fetch' | 'simulate'
  done: number
  total: number
}

interface BacktestOptions {
  /** Where the load history comes from: the engine's HistoryReader (queried for this one policy) or a range fetcher. */
  history: HistoryReader | FetchLoadRange
  policy: Policy
  /** Length of the replayed period, ending now. */
  sinceSeconds: number
  /** The forecaster; the packaged model when absent (loaded and closed by the call). */
  model?: LoadedModel
  nowMs?: number
  /** Pod creation to Ready. */
  startupDelaySeconds?: number
  /** History read before the period for the forecasters: a week-ago window and a day to spare by default. */
  lookbackSeconds?: number
  /** Prometheus refuses range queries over 11,000 points; longer ranges are read in chunks. */
  maxPointsPerQuery?: number
  /** The HPA each strategy drives, by strategy name (reactive, holt-winters, fft-periodic, foresight); the API server's defaults otherwise. */
  hpa?: (strategy: string) => HpaSpec
  /** Include the Holt-Winters and FFT baselines (they need two days of history to be themselves). */
  baselines?: boolean
  onProgress?: (p: BacktestProgress) => void
}

interface BacktestResult {
  /** Header lines, the comparison table and a one-line verdict. */
  table: string
  /** Whole period. */
  svg: string
  /** The busiest day of it. */
  daySvg: string
  runs: StrategyRun[]
  /** Both knobs swept: reactive's target utilisation and Foresight's spec.targetUtilization. */
  frontier: Frontier
  /** The frontier drawn: both curves on one chart. */
  frontierSvg: string
  warnings: string[]
  period: { startMs: number; endMs: number; stepSeconds: number }
}

export class BacktestError extends Error {
  override name = 'BacktestError'
}

const DAY_SECONDS = 86_400
const MIN_SINCE_SECONDS = 3600
const MAX_SINCE_SECONDS = 31 * DAY_SECONDS
const DEFAULT_LOOKBACK_SECONDS = 8 * DAY_SECONDS
/** Below this many samples in the period the comparison says nothing. */
const MIN_PERIOD_SAMPLES = 60

function isReader(h: HistoryReader | FetchLoadRange): h is HistoryReader {
  return typeof (h as Partial<HistoryReader>).read === 'function'
}

function fetcherFor(h: HistoryReader | FetchLoadRange, policy: Policy): FetchLoadRange {
  if (!isReader(h)) return h
  return async (startMs, endMs, stepSeconds) => {
    const r = (await h.read([policy], { startMs, endMs, stepSeconds })).get(policyKey(policy))
    if (r === undefined) throw new BacktestError(`the history source returned nothing for ${policyKey(policy)}`)
    // No series in a range is no data there, not a failure: the period's own checks say if too little is left.
    if (!r.ok && r.noSeries === true) return { values: new Float64Array(0), startMs, stepMs: stepSeconds * 1000 }
    if (!r.ok) throw new BacktestError(r.error)
    return r.window
  }
}

function humanSeconds(s: number): string {
  if (s >= DAY_SECONDS && s % DAY_SECONDS === 0) return `${s / DAY_SECONDS}d`
  if (s >= 3600) return `${(s / 3600).toFixed(s % 3600 === 0 ? 0 : 1)}h`
  return `${Math.round(s / 60)}m`
}

/**
 * Reads [startMs, endMs] onto one grid, in chunks of at most `maxPoints` samples, the period and the history
 * before it separately: a failed chunk of the period is an error, a failed chunk of the history before it (the
 * workload may be younger than the lookback, so Prometheus has no series there) is only a gap.
 */
async function readHistory(fetch: FetchLoadRange, startMs: number, periodStartMs: number, endMs: number, stepSeconds: number, maxPoints: number, warnings: string[], onProgress?: (p: BacktestProgress) => void): Promise<LoadSeries> {
  const stepMs = stepSeconds * 1000
  const n = Math.round((endMs - startMs) / stepMs) + 1
  const periodStart = Math.round((periodStartMs - startMs) / stepMs)
  const values = new Float64Array(n).fill(NaN)
  const chunks: Array<[number, number]> = []
  for (const [a, b] of [[0, periodStart - 1], [periodStart, n - 1]] as const) {
    for (let first = a; first <= b; first += maxPoints) chunks.push([first, Math.min(b, first + maxPoints - 1)])
  }
  let lookbackFailure: string | undefined
  for (const [c, [first, last]] of chunks.entries()) {
    let w: Window | undefined
    try {
      w = await fetch(startMs + first * stepMs, startMs + last * stepMs, stepSeconds)
    } catch (err) {
      const why = (err as Error).message
      if (first >= periodStart) throw new BacktestError(`unable to read the load history: ${why}`)
      lookbackFailure ??= why
    }
    // Place samples by time: a source may answer a shorter or shifted grid.
    w?.values.forEach((v, i) => {
      const k = Math.round((w.startMs + i * w.stepMs - startMs) / stepMs)
      if (k >= first && k <= last && Number.isFinite(v)) values[k] = v
    })
    onProgress?.({ phase: 'fetch', done: c + 1, total: chunks.length })
  }
  if (lookbackFailure !== undefined) warnings.push(`part of the history before the period could not be read and counts as missing: ${lookbackFailure}`)
  return { values, startMs, stepMs }
}

export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  const spec = o.policy.spec
  const stepSeconds = spec.stepSeconds
  const stepMs = stepSeconds * 1000
  if (!(o.sinceSeconds >= MIN_SINCE_SECONDS)) throw new BacktestError(`--since must be at least ${humanSeconds(MIN_SINCE_SECONDS)} (got ${humanSeconds(o.sinceSeconds)})`)
  if (o.sinceSeconds > MAX_SINCE_SECONDS) throw new BacktestError(`--since must be at most ${humanSeconds(MAX_SINCE_SECONDS)} (got ${humanSeconds(o.sinceSeconds)})`)
  const endMs = Math.floor((o.nowMs ?? Date.now()) / stepMs) * stepMs
  const periodSteps = Math.floor(o.sinceSeconds / stepSeconds)
  const fromMs = endMs - periodSteps * stepMs
  const lookbackSteps = Math.ceil((o.lookbackSeconds ?? DEFAULT_LOOKBACK_SECONDS) / stepSeconds)
  const warnings: string[] = []
  const load = await readHistory(fetcherFor(o.history, o.policy), fromMs - lookbackSteps * stepMs, fromMs, endMs, stepSeconds, o.maxPointsPerQuery ?? 10_000, warnings, o.onProgress)

  const periodValid = countValid(load.values, lookbackSteps, load.values.length)
  const label = `${policyKey(o.policy)} (spec.load.query ${JSON.stringify(spec.load.query.length > 80 ? spec.load.query.slice(0, 77) + '...' : spec.load.query)})`
  if (periodValid === 0) throw new BacktestError(`no load samples in the last ${humanSeconds(o.sinceSeconds)} for ${label}: check that the query returns one series and that Prometheus keeps that much data`)
  if (periodValid < MIN_PERIOD_SAMPLES) throw new BacktestError(`too little history for ${label}: ${periodValid} samples in the last ${humanSeconds(o.sinceSeconds)} at a ${stepSeconds}s step; the backtest needs at least ${MIN_PERIOD_SAMPLES}`)
  const before = countValid(load.values, 0, lookbackSteps)
  if (before < RECENT_STEPS) warnings.push(`only ${before} samples before the period: Foresight answers from the present (cold start) for about its first ${humanSeconds(RECENT_STEPS * stepSeconds)}; a shorter --since gives it a warm start`)
  const daySteps = Math.round(DAY_SECONDS / stepSeconds)
  if (countValid(load.values, lookbackSteps - 7 * daySteps, lookbackSteps - 6 * daySteps) < daySteps / 2) warnings.push('no week-ago history for the start of the period: the model forecasts without its weekly context there')
  if (before < 2 * daySteps && (o.baselines ?? true)) warnings.push('less than two days of history before the period: the Holt-Winters and FFT baselines start as last-value forecasters')
  const missing = periodSteps - periodValid
  if (missing > periodSteps * 0.05) {
    // Usually the period reaches back past the workload's start or Prometheus's retention: say where data begins.
    const first = load.values.findIndex((v, i) => i >= lookbackSteps && Number.isFinite(v))
    const late = first > lookbackSteps + periodSteps * 0.05 ? ` (the first sample in it is from ${new Date(load.startMs + first * stepMs).toISOString()})` : ''
    warnings.push(`${missing} of ${periodSteps} samples in the period are missing${late}: those minutes are not scored`)
  }
  if (spec.horizonSeconds / stepSeconds > HORIZON_STEPS) warnings.push(`horizonSeconds ${spec.horizonSeconds} exceeds the model's ${HORIZON_STEPS} steps; the engine caps it`)

  const model = o.model ?? (await loadBundledModel())
  let result: Awaited<ReturnType<typeof compareStrategies>>
  try {
    result = await compareStrategies({
      load,
      fromMs,
      toMs: endMs,
      policy: o.policy,
      model,
      startupDelaySeconds: o.startupDelaySeconds ?? 60,
      baselines: o.baselines ?? true,
      // As deployed (deploy/examples/hpa.yaml): the engine damps scale-down, so Foresight's HPA has no down window.
      hpa: o.hpa ?? ((strategy) => {
        const hpa = defaultHpaSpec(spec.minReplicas, spec.maxReplicas)
        // The sweep's runs (foresight@N%) are the same policy at another targetUtilization: the same HPA.
        return strategy === STRATEGY.foresight || strategy.startsWith(`${STRATEGY.foresight}@`) ? { ...hpa, scaleDown: { ...hpa.scaleDown, stabilizationWindowSeconds: 0 } } : hpa
      }),
      // What reactive users buy instead of prediction: headroom. The verdict compares at equal cost too.
      reactiveVariants: SWEEP.reactive.map((utilization) => ({ utilization })),
      // The frontier: the policy again at each target utilization of the sweep (one batched inference per refresh).
      foresightSweep: SWEEP.foresight,
      onProgress: (done, total) => o.onProgress?.({ phase: 'simulate', done, total }),
    })
  } finally {
    if (o.model === undefined) await model.close()
  }
  const reactive = result.runs.find((r) => r.name === STRATEGY.reactive)?.metrics
  const foresight = result.runs.find((r) => r.name === STRATEGY.foresight)?.metrics
  // The table and the time charts show the policy and reactive's usual targets; the sweep is the frontier's.
  const shown = result.runs.filter((r) => !isSweepOnly(r.name))
  const lines = [
    `# backtest of ${policyKey(o.policy)} over ${humanSeconds(o.sinceSeconds)}: ${new Date(fromMs).toISOString()} .. ${new Date(endMs).toISOString()}, ${stepSeconds}s step`,
    `# capacityPerReplica ${spec.load.capacityPerReplica}, horizonSeconds ${spec.horizonSeconds}, replicas ${spec.minReplicas}..${spec.maxReplicas}, pod start-up ${o.startupDelaySeconds ?? 60}s; HPA sync 15s, tolerance 0.1, ${o.hpa === undefined ? 'default behavior (scale-down window 300s; 0s for foresight, as deploy/examples/hpa.yaml)' : 'behavior as given'}`,
    `# reactive: an HPA on the load query with AverageValue = capacityPerReplica (reactive@N%: N% of it, bought headroom); foresight: the engine with this policy and model ${model.meta.version}`,
    ...result.notes.map((n) => `# ${n}`),
    ...warnings.map((w) => `# warning: ${w}`),
    '',
    comparisonTable(shown, STRATEGY.reactive),
  ]
  if (reactive !== undefined && foresight !== undefined && reactive.underProvisionedMinutes > 0 && reactive.replicaMinutes > 0) {
    lines.push('', `foresight: ${(100 * (1 - foresight.underProvisionedMinutes / reactive.underProvisionedMinutes)).toFixed(1)}% fewer under-provisioned minutes than reactive at ${(100 * foresight.replicaMinutes / reactive.replicaMinutes).toFixed(1)}% of its replica-minutes`)
  }
  const equalCost = reactiveAtEqualCost(result.runs, STRATEGY.foresight)
  if (foresight !== undefined) {
    lines.push(equalCost !== undefined
      ? `foresight: at the same replica-minutes a reactive HPA with more headroom (interpolated on reactive@N%) is under-provisioned ${equalCost.toFixed(0)} min, foresight ${foresight.underProvisionedMinutes.toFixed(0)} min`
      : 'foresight: its replica-minutes lie outside the reactive@N% curve: compare with the rows above')
    lines.push(bestBaselineLine(result.runs, STRATEGY.foresight))
  }
  const f = frontier(result.runs, { reactive: STRATEGY.reactive, foresight: STRATEGY.foresight, foresightUtilization: spec.targetUtilization })
  lines.push('', frontierTable(f))
  const charts = comparisonCharts(shown, { title: `${policyKey(o.policy)}: demand and ready capacity`, loadUnit: 'load' })
  const frontierSvg = frontierChart(f, `${policyKey(o.policy)}: cost against under-provisioning`)
  return { table: lines.join('\n'), svg: charts.full, daySvg: charts.day, frontierSvg, frontier: f, runs: result.runs, warnings, period: { startMs: fromMs, endMs, stepSeconds } }
}
