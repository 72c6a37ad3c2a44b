/** The adaptation's part of `foresight explain`: components and weights, calibration, the seasonal gate. */
import { COMPONENTS, DEFAULT_ADAPTIVE, EVAL_HORIZONS, type AdaptiveSummary } from './adaptive.js'

const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2))
const per = (xs: ReadonlyArray<number | undefined>): string => xs.map(f2).join(' / ')
const steps = (h: number): string => `${h} step${h === 1 ? '' : 's'}`

export function formatAdaptive(a: AdaptiveSummary): string[] {
  const k = EVAL_HORIZONS.length
  const lines = [
    'adaptation (per workload, in memory: a restart of the adapter, or explain --local, starts it afresh)',
    `  scored          ${a.scored.join(' / ')} forecasts at ${EVAL_HORIZONS.join(' / ')} steps met their actuals${Math.min(...a.scored) < DEFAULT_ADAPTIVE.minScored ? ` (the model alone until ${DEFAULT_ADAPTIVE.minScored} at a horizon)` : ''}`,
    `  component       weight at ${EVAL_HORIZONS.join(' / ')} steps; recent error relative to the model`,
  ]
  COMPONENTS.forEach((name, c) => {
    const w = a.weights.slice(c * k, (c + 1) * k)
    const r = a.relativeError.slice(c * k, (c + 1) * k)
    lines.push(`    ${name.padEnd(14)}${per(w)};  ${per(r)}`)
  })
  lines.push(
    a.calibrated
      ? `  calibration     served p90 = median + ${per(a.upperScale)} x the model's (p90 - p50); p10 = median - ${per(a.lowerScale)} x (p50 - p10); recent p90 coverage ${per(a.coverage)}; the replica rule provisions for median + the model's (p90 - p50)`
      : `  calibration     off (engine.forecastCalibration): p90 = median + the model's (p90 - p50); recent p90 coverage ${per(a.coverage)}`,
    `  seasonal rows   ${a.seasonal.masked ? 'MASKED for this workload' : 'used'}; masking compared at ${a.seasonal.compared} origins, ${a.seasonal.compared > 0 ? `${(a.seasonal.gain * 100).toFixed(1)} % ${a.seasonal.gain >= 0 ? 'lower' : 'higher'} error when masked` : 'no evidence yet'}`,
  )
  return lines
}

/**
 * One clause for the policy's status message (which `kubectl foresight explain` shows from the cluster): the largest
 * weights at the shortest scored horizon, the p90 calibration and the seasonal gate.
 */
export function adaptiveNote(a: AdaptiveSummary): string {
  const k = EVAL_HORIZONS.length
  const scored = a.scored[0] ?? 0
  if (scored < DEFAULT_ADAPTIVE.minScored) return `forecast adaptation warming up (${scored} of ${DEFAULT_ADAPTIVE.minScored} forecasts scored since the adapter started)`
  const top = COMPONENTS.map((name, c) => [name, a.weights[c * k] ?? 0] as const)
    .filter(([, w]) => w >= 0.05)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
    .map(([name, w]) => `${name} ${w.toFixed(2)}`)
  return `forecast adapted (since the adapter started): weights at ${steps(EVAL_HORIZONS[0])} ${top.join(', ')}; ${a.calibrated ? `p90 scale ${per(a.upperScale)}` : `recent p90 coverage ${per(a.coverage)}`}; seasonal rows ${a.seasonal.masked ? 'masked' : 'used'}`
}
