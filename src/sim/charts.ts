/** The comparison's two charts: the whole simulated period, and one day of it in detail. */
import type { StrategyRun } from './simulate.js'
import type { Frontier } from './frontier.js'
import { lineChart, xyChart, type ChartSeries } from './svg.js'

const DAY_MS = 86_400_000
const PALETTE = ['#d62728', '#ff7f0e', '#9467bd', '#1f77b4', '#2ca02c', '#8c564b', '#e377c2', '#17becf']

interface ChartSet {
  full: string
  day: string
  /** Start of the zoomed day. */
  dayStartMs: number
}

/**
 * The zoomed day is the whole (local) day with the most demand in the period: a rule fixed before looking at any
 * strategy's result, so the chart is not picked to flatter one.
 */
export function busiestDayStart(timesMs: Float64Array, demand: Float64Array, utcOffsetMinutes: number): number {
  const offsetMs = utcOffsetMinutes * 60_000
  const totals = new Map<number, { sum: number; n: number }>()
  timesMs.forEach((t, i) => {
    const day = Math.floor((t + offsetMs) / DAY_MS) * DAY_MS - offsetMs
    const d = totals.get(day) ?? { sum: 0, n: 0 }
    const v = demand[i] ?? NaN
    if (Number.isFinite(v)) d.sum += v
    d.n++
    totals.set(day, d)
  })
  const full = Math.max(...[...totals.values()].map((d) => d.n))
  let best = timesMs[0] ?? 0
  let bestSum = -Infinity
  for (const [day, d] of totals) if (d.n === full && d.sum > bestSum) [best, bestSum] = [day, d.sum]
  return best
}

export function comparisonCharts(runs: readonly StrategyRun[], o: { title: string; loadUnit: string; utcOffsetMinutes?: number; strategies?: readonly string[] }): ChartSet {
  const shown = runs.filter((r) => o.strategies === undefined || o.strategies.includes(r.name))
  const first = shown[0] ?? runs[0]
  if (first === undefined) throw new Error('comparisonCharts: no runs')
  const offset = o.utcOffsetMinutes ?? 0
  const { timesMs, demand } = first.timeline
  const series = (range?: [number, number]): ChartSeries[] => {
    const pick = (v: Float64Array): Float64Array => (range === undefined ? v : v.slice(range[0], range[1]))
    return [
      { name: 'demand', color: '#888888', values: pick(demand), area: true },
      ...shown.map((r, i) => ({ name: r.name, color: PALETTE[i % PALETTE.length] ?? '#000000', values: pick(r.timeline.readyCapacity) })),
    ]
  }
  const yLabel = `${o.loadUnit}: demand (grey), ready replicas x capacity (lines)`
  const full = lineChart({ title: o.title, subtitle: 'means over 30 minutes', timesMs, series: series(), bucketMs: 30 * 60_000, yLabel, utcOffsetMinutes: offset })
  const dayStartMs = busiestDayStart(timesMs, demand, offset)
  let a = timesMs.findIndex((t) => t >= dayStartMs)
  if (a < 0) a = 0
  let b = timesMs.findIndex((t) => t >= dayStartMs + DAY_MS)
  if (b < 0) b = timesMs.length
  const day = lineChart({ title: `${o.title}: the busiest day`, subtitle: 'means over 2 minutes; capacity counts only pods that are Ready', timesMs: timesMs.slice(a, b), series: series([a, b]), bucketMs: 2 * 60_000, yLabel, utcOffsetMinutes: offset })
  return { full, day, dayStartMs }
}

/** Both sweeps on one chart: replica-minutes on x, under-provisioned minutes on y, each point labelled by its knob. */
export function frontierChart(f: Frontier, title: string): string {
  const pts = (curve: Frontier['reactive']): Array<{ x: number; y: number; label: string }> =>
    curve.map((p) => ({ x: p.replicaMinutes, y: p.underProvisionedMinutes, label: `${Math.round(p.utilization * 100)}%` }))
  return xyChart({
    title,
    subtitle: 'each point one target utilisation; lower and further left is better',
    series: [
      { name: 'reactive HPA (target utilisation)', color: '#d62728', points: pts(f.reactive) },
      { name: 'Foresight (spec.targetUtilization)', color: '#2ca02c', points: pts(f.foresight) },
    ],
    xLabel: 'replica-minutes (cost)',
    yLabel: 'under-provisioned minutes',
  })
}
