/**
 * The cost / under-provisioning frontier: each strategy swept over its one knob (a reactive HPA over its target
 * utilisation, Foresight over spec.targetUtilization) gives a curve of (replica-minutes, under-provisioned
 * minutes) points. Prediction earns its keep when, at equal replica-minutes, it is under-provisioned less than
 * reactive scaling that bought the same cost as headroom. Pure: runs in, curves and ratios out.
 */
import type { StrategyRun } from './simulate.js'

export interface FrontierPoint {
  name: string
  /** The knob: target utilisation (reactive 0..1; Foresight 0..1.5, above 1 provisioning below the p90). */
  utilization: number
  replicaMinutes: number
  underProvisionedMinutes: number
  scalingEvents: number
}

/** One side's under-provisioning at the other side's cost, and their ratio (this side / the other). */
export interface EqualCostPoint {
  name: string
  utilization: number
  replicaMinutes: number
  underProvisionedMinutes: number
  /** The other curve at the same replica-minutes; undefined outside its range. */
  otherUnderProvisionedMinutes?: number
  /** foresight / reactive at equal replica-minutes; undefined outside the range or when reactive's minutes are 0. */
  ratio?: number
}

export interface Frontier {
  reactive: FrontierPoint[]
  foresight: FrontierPoint[]
  /** Each Foresight point against reactive's curve: the ratio the issue asks for, interpolated along reactive. */
  atForesight: EqualCostPoint[]
  /** Each reactive point against Foresight's curve: which reactive settings Foresight's sweep covers, and how well. */
  atReactive: EqualCostPoint[]
}

/** "reactive@80%" -> 0.8; the bare name -> its given utilization; anything else -> undefined. */
function knobOf(name: string, base: string, baseUtilization: number): number | undefined {
  if (name === base) return baseUtilization
  const m = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@(\\d+(?:\\.\\d+)?)%$`).exec(name)
  return m === null ? undefined : Number(m[1]) / 100
}

/**
 * The runs of one sweep, cheapest first: `base` (at `baseUtilization`) and every `base@N%`. One point per
 * utilization: a duplicate (the defaults' run and the sweep's run of the same value) is taken once.
 */
export function sweepCurve(runs: readonly StrategyRun[], base: string, baseUtilization: number): FrontierPoint[] {
  const byKnob = new Map<number, FrontierPoint>()
  for (const r of runs) {
    const u = knobOf(r.name, base, baseUtilization)
    if (u === undefined || byKnob.has(u)) continue
    byKnob.set(u, { name: r.name, utilization: u, replicaMinutes: r.metrics.replicaMinutes, underProvisionedMinutes: r.metrics.underProvisionedMinutes, scalingEvents: r.metrics.scalingEvents })
  }
  return [...byKnob.values()].sort((a, b) => a.replicaMinutes - b.replicaMinutes || b.underProvisionedMinutes - a.underProvisionedMinutes)
}

/**
 * Under-provisioned minutes along `curve` (cheapest first) at `replicaMinutes`, linear between neighbouring
 * points; undefined outside the curve's range: extrapolating would invent a point nobody measured.
 */
export function underAtCost(curve: readonly FrontierPoint[], replicaMinutes: number): number | undefined {
  for (let i = 0; i < curve.length; i++) {
    const hi = curve[i]
    if (hi === undefined || hi.replicaMinutes < replicaMinutes) continue
    if (hi.replicaMinutes === replicaMinutes) return hi.underProvisionedMinutes
    const lo = curve[i - 1]
    if (lo === undefined) return undefined
    const f = (replicaMinutes - lo.replicaMinutes) / (hi.replicaMinutes - lo.replicaMinutes)
    return lo.underProvisionedMinutes + f * (hi.underProvisionedMinutes - lo.underProvisionedMinutes)
  }
  return undefined
}

function against(points: readonly FrontierPoint[], other: readonly FrontierPoint[], foresightIsPoint: boolean): EqualCostPoint[] {
  return points.map((p) => {
    const o = underAtCost(other, p.replicaMinutes)
    const [f, r] = foresightIsPoint ? [p.underProvisionedMinutes, o] : [o, p.underProvisionedMinutes]
    const ratio = f !== undefined && r !== undefined && r > 0 ? f / r : undefined
    return { name: p.name, utilization: p.utilization, replicaMinutes: p.replicaMinutes, underProvisionedMinutes: p.underProvisionedMinutes, ...(o !== undefined ? { otherUnderProvisionedMinutes: o } : {}), ...(ratio !== undefined ? { ratio } : {}) }
  })
}

export function frontier(runs: readonly StrategyRun[], o: { reactive: string; foresight: string; foresightUtilization: number }): Frontier {
  const reactive = sweepCurve(runs, o.reactive, 1)
  const foresight = sweepCurve(runs, o.foresight, o.foresightUtilization)
  return { reactive, foresight, atForesight: against(foresight, reactive, true), atReactive: against(reactive, foresight, false) }
}

/**
 * The worst ratio between the reactive settings `from` and `to` utilisation (0.9 and 0.7 for the target): at each
 * reactive point of that band and at each Foresight point whose cost lies in it. `covered` is false when
 * Foresight's curve does not reach one of the band's reactive points (then the target cannot be claimed).
 */
export function worstRatioBetween(f: Frontier, from: number, to: number): { ratio: number | undefined; covered: boolean } {
  const lo = Math.min(from, to) - 1e-9
  const hi = Math.max(from, to) + 1e-9
  const band = f.atReactive.filter((p) => p.utilization >= lo && p.utilization <= hi)
  // Covered: Foresight's curve reaches every reactive point of the band (a ratio may still be undefined there when
  // reactive had no under-provisioned minute at all).
  const covered = band.length > 0 && band.every((p) => p.otherUnderProvisionedMinutes !== undefined)
  const costs = band.map((p) => p.replicaMinutes)
  const inside = costs.length === 0 ? [] : f.atForesight.filter((p) => p.replicaMinutes >= Math.min(...costs) && p.replicaMinutes <= Math.max(...costs))
  const ratios = [...band, ...inside].flatMap((p) => (p.ratio !== undefined ? [p.ratio] : []))
  return { ratio: ratios.length > 0 ? Math.max(...ratios) : undefined, covered }
}

const pct = (u: number): string => `${Math.round(u * 1000) / 10}%`
const num = (x: number | undefined, d = 0): string => (x === undefined ? '-' : x.toFixed(d))

/** The frontier as text: both curves, each point against the other curve at equal replica-minutes. */
export function frontierTable(f: Frontier): string {
  const lines = ['# frontier: replica-minutes against under-provisioned minutes; ratio = foresight / reactive at equal replica-minutes (linear along the other curve; - outside its range or where reactive has none)']
  lines.push('curve      target  replica-min  under-prov min  scale events  other at equal cost  ratio')
  const row = (curve: string, p: FrontierPoint, e: EqualCostPoint | undefined): string =>
    `${curve.padEnd(10)} ${pct(p.utilization).padStart(6)}  ${num(p.replicaMinutes).padStart(11)}  ${num(p.underProvisionedMinutes, 1).padStart(14)}  ${String(p.scalingEvents).padStart(12)}  ${num(e?.otherUnderProvisionedMinutes, 1).padStart(19)}  ${e?.ratio !== undefined ? e.ratio.toFixed(3) : '-'}`
  f.reactive.forEach((p, i) => lines.push(row('reactive', p, f.atReactive[i])))
  f.foresight.forEach((p, i) => lines.push(row('foresight', p, f.atForesight[i])))
  const band = worstRatioBetween(f, 0.9, 0.7)
  lines.push(band.covered && band.ratio !== undefined
    ? `frontier: between reactive at 90 % and 70 %, foresight's under-provisioned minutes are at most ${band.ratio.toFixed(3)} x reactive's at equal replica-minutes (target <= 0.5: ${band.ratio <= 0.5 ? 'MET' : 'NOT met'})`
    : `frontier: foresight's sweep does not span reactive at 90 % .. 70 %${band.ratio !== undefined ? ` (worst ratio where it does: ${band.ratio.toFixed(3)})` : ''}: the target cannot be claimed`)
  return lines.join('\n')
}

/**
 * The knob values swept by bench:autoscale and `foresight backtest`: reactive at 100 % (the plain run) down to
 * 50 %, what users run and beyond; Foresight from 150 % (the schema's bound: two thirds of the p90, about
 * reactive at 100 %'s cost on the NASA trace) down to 70 %, which already spends more than reactive at 70 % there.
 */
export const SWEEP = {
  reactive: [0.9, 0.8, 0.7, 0.6, 0.5],
  foresight: [1.5, 1.4, 1.3, 1.2, 1.1, 1, 0.95, 0.9, 0.85, 0.8, 0.7],
} as const

/** Runs that only make the frontier, left out of the comparison table and time charts: Foresight at the other utilizations, reactive below 70 %. */
export function isSweepOnly(name: string): boolean {
  return name.startsWith('foresight@') || /^reactive@[1-6]\d(\.\d+)?%$/.test(name)
}
