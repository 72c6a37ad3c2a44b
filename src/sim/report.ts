/** The comparison as a text table, each strategy against the reactive HPA. */
import { fmt, formatTable } from '../forecast/table.js'
import type { StrategyRun } from './simulate.js'

export function comparisonTable(runs: readonly StrategyRun[], baseline = runs[0]?.name): string {
  const base = runs.find((r) => r.name === baseline)?.metrics
  const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a')
  const header = ['strategy', 'under-prov min', 'vs reactive', 'unserved', 'replica-min', 'vs reactive', 'over-prov', 'scale events', 'reversals']
  const rows = runs.map((r) => {
    const m = r.metrics
    return [
      r.name,
      fmt(m.underProvisionedMinutes, 1),
      base !== undefined && base.underProvisionedMinutes > 0 ? pct(m.underProvisionedMinutes / base.underProvisionedMinutes) : 'n/a',
      pct(m.unservedShare),
      fmt(m.replicaMinutes, 0),
      base !== undefined && base.replicaMinutes > 0 ? pct(m.replicaMinutes / base.replicaMinutes) : 'n/a',
      fmt(m.overProvisioningRatio, 2),
      String(m.scalingEvents),
      String(m.reversals),
    ]
  })
  return formatTable(header, rows)
}
