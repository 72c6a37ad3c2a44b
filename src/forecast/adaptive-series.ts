/**
 * Runs the served-forecast adaptation (adaptive.ts) over a whole series, origin by origin in time order, as the
 * engine would have run it refreshing once per step: what bench:forecast reports as "as served".
 */
import { adapt, AdaptiveState, DEFAULT_ADAPTIVE, wantsShadow, type AdaptiveParams } from './adaptive.js'
import { HORIZON_STEPS, RECENT_STEPS, SEASONAL_LEAD_STEPS, SEASONAL_STEPS } from './windows.js'

export interface OriginForecasts {
  /** Forecast origins (row index of the newest row the forecast saw), ascending. */
  origins: ArrayLike<number>
  /** The model's quantiles per origin, [origin][h-1][p10, p50, p90]. */
  quantiles: Float32Array
  /** The same with the seasonal rows masked, for the seasonal gate; without it the gate never masks. */
  masked?: Float32Array
  /** Rows per day and week: the day-ago and week-ago rows the engine reads are built from the series; without them day_shape and week_shape are absent. */
  periodDaySteps?: number
  periodWeekSteps?: number
}

/**
 * The served quantiles at every origin, in the model's layout. Each origin sees the rows up to it only (a window of
 * RECENT_STEPS rows, invalid rows as missing), exactly what the engine passes.
 */
export function adaptSeries(values: ArrayLike<number>, valid: ArrayLike<number> | undefined, f: OriginForecasts, p: AdaptiveParams = DEFAULT_ADAPTIVE): { served: Float32Array; state: AdaptiveState } {
  const state = new AdaptiveState()
  const served = new Float32Array(f.quantiles.length)
  const window = new Float64Array(RECENT_STEPS)
  const day = new Float64Array(SEASONAL_STEPS)
  const week = new Float64Array(SEASONAL_STEPS)
  const period = f.periodDaySteps ?? 0
  const weekPeriod = f.periodWeekSteps ?? 0
  const size = HORIZON_STEPS * 3
  for (let i = 0; i < f.origins.length; i++) {
    const t = f.origins[i] ?? 0
    for (let j = 0; j < RECENT_STEPS; j++) {
      const row = t - RECENT_STEPS + 1 + j
      window[j] = row >= 0 && (valid === undefined || valid[row] !== 0) ? (values[row] ?? NaN) : NaN
    }
    seasonalRow(values, valid, t, period, day)
    seasonalRow(values, valid, t, weekPeriod, week)
    const withRows = f.quantiles.subarray(i * size, (i + 1) * size)
    const masked = f.masked?.subarray(i * size, (i + 1) * size)
    const primary = state.masked && masked !== undefined ? masked : withRows
    const other = masked === undefined ? undefined : state.masked ? withRows : masked
    const shadow = other !== undefined && wantsShadow(state, t, p) ? other : undefined
    adapt(state, { originStep: t, window, model: primary, ...(shadow !== undefined ? { shadow } : {}), ...(period > 0 ? { day } : {}), ...(weekPeriod > 0 ? { week } : {}) }, served.subarray(i * size, (i + 1) * size), p)
  }
  return { served, state }
}

/** The engine's seasonal read for origin t: rows t-P-59 .. t-P+30, missing where invalid or before the series. */
function seasonalRow(values: ArrayLike<number>, valid: ArrayLike<number> | undefined, t: number, period: number, out: Float64Array): void {
  const first = t - period - (SEASONAL_STEPS - SEASONAL_LEAD_STEPS - 1)
  for (let j = 0; j < SEASONAL_STEPS; j++) {
    const row = first + j
    out[j] = period > SEASONAL_LEAD_STEPS && row >= 0 && (valid === undefined || valid[row] !== 0) ? (values[row] ?? NaN) : NaN
  }
}
