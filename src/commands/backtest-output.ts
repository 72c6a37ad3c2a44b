/** The machine-readable forms of the backtests (`-o json`, `-o csv`) beside their text reports. */
import { worstRatioBetween, type Frontier } from '../sim/frontier.js'
import type { StrategyRun } from '../sim/simulate.js'

export const OUTPUT_FORMATS = ['text', 'json', 'csv'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(v: string | number | undefined): string {
  const text = v === undefined ? '' : String(v)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n'
}

const METRIC_COLUMNS = ['underProvisionedMinutes', 'unservedShare', 'replicaMinutes', 'overProvisioningRatio', 'scalingEvents', 'reversals', 'evaluatedMinutes'] as const

interface BacktestSummary {
  policy: string
  period: { startMs: number; endMs: number; stepSeconds: number }
  runs: readonly StrategyRun[]
  warnings: readonly string[]
  charts: readonly string[]
  /** Both knobs swept: the curves and the ratios at equal replica-minutes, as the text report prints them. */
  frontier?: Frontier
}

/** The comparison as JSON: each strategy's metrics (not its timeline, which the charts show). */
export function backtestJson(s: BacktestSummary): string {
  return `${JSON.stringify({
    policy: s.policy,
    period: { start: new Date(s.period.startMs).toISOString(), end: new Date(s.period.endMs).toISOString(), stepSeconds: s.period.stepSeconds },
    strategies: s.runs.map((r) => ({ name: r.name, ...r.metrics })),
    ...(s.frontier !== undefined ? { frontier: { ...s.frontier, worstRatioReactive90To70: worstRatioBetween(s.frontier, 0.9, 0.7) } } : {}),
    warnings: s.warnings,
    charts: s.charts,
  }, null, 1)}\n`
}

/** One row per strategy, the metrics in the units of their names. */
export function backtestCsv(runs: readonly StrategyRun[]): string {
  return csv(['strategy', ...METRIC_COLUMNS], runs.map((r) => [r.name, ...METRIC_COLUMNS.map((k) => r.metrics[k])]))
}
