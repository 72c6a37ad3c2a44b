/**
 * bench:autoscale's frontier lines: both sweeps, the ratio at equal replica-minutes, the policy defaults against
 * the targets, and the rule the default targetUtilization is chosen by (read it on the validation segment).
 */
import { frontier, frontierTable, type Frontier, type FrontierPoint } from '../../src/sim/frontier.js'
import type { StrategyRun } from '../../src/sim/simulate.js'

/**
 * The default is chosen by a rule fixed before looking at the held-out segment: on the validation segment, the
 * lowest swept targetUtilization (the most headroom) whose replica-minutes stay within reactive at 80 %'s.
 */
export function chooseDefault(f: Frontier, budget: FrontierPoint | undefined): FrontierPoint | undefined {
  if (budget === undefined) return undefined
  const within = f.foresight.filter((p) => p.replicaMinutes <= budget.replicaMinutes)
  return within.sort((a, b) => a.utilization - b.utilization)[0]
}

export function frontierReport(runs: readonly StrategyRun[], defaultUtilization: number): { frontier: Frontier; text: string } {
  const f = frontier(runs, { reactive: 'reactive', foresight: 'foresight', foresightUtilization: defaultUtilization })
  const lines = [frontierTable(f)]
  const at80 = f.reactive.find((p) => Math.abs(p.utilization - 0.8) < 1e-9)
  const at100 = f.reactive.find((p) => p.utilization === 1)
  const d = runs.find((r) => r.name === 'foresight')?.metrics
  if (d !== undefined && at80 !== undefined && at100 !== undefined) {
    const cost = d.replicaMinutes <= at80.replicaMinutes
    const under = d.underProvisionedMinutes <= 0.5 * at80.underProvisionedMinutes
    const events = d.scalingEvents <= Math.min(at80.scalingEvents, at100.scalingEvents)
    lines.push(`defaults (targetUtilization ${defaultUtilization}): ${d.replicaMinutes.toFixed(0)} replica-min vs reactive@80% ${at80.replicaMinutes.toFixed(0)} (no more: ${cost ? 'MET' : 'NOT met'}); ` +
      `${d.underProvisionedMinutes.toFixed(1)} under-provisioned min vs half of reactive@80%'s ${(0.5 * at80.underProvisionedMinutes).toFixed(1)} (${under ? 'MET' : 'NOT met'}); ` +
      `${d.scalingEvents} scale events vs reactive's ${at100.scalingEvents} and reactive@80%'s ${at80.scalingEvents} (${events ? 'MET' : 'NOT met'})`)
  }
  const chosen = chooseDefault(f, at80)
  lines.push(`default rule (apply on the validation segment): the lowest targetUtilization within reactive@80%'s replica-minutes: ${chosen === undefined ? 'none of the sweep' : `${chosen.utilization} (${chosen.replicaMinutes.toFixed(0)} replica-min, ${chosen.underProvisionedMinutes.toFixed(1)} under-provisioned min)`}`)
  return { frontier: f, text: lines.join('\n') }
}
