/**
 * The forecaster's input/output layout (models/foresight-forecaster.json) and the packing of series windows into
 * it. Kept free of onnxruntime so simulators can pack windows without loading the native runtime.
 */
export const RECENT_STEPS = 60
export const SEASONAL_ROWS = 2
/** Each seasonal row covers t-P-59 .. t-P+30. */
export const SEASONAL_STEPS = 90
export const SEASONAL_LEAD_STEPS = 30
export const HORIZON_STEPS = 30
export const QUANTILES = [0.1, 0.5, 0.9] as const

export interface ForecastBatch {
  capacity: number
  recent: Float32Array
  seasonal: Float32Array
  seasonalMask: Float32Array
}

export function allocateBatch(capacity: number): ForecastBatch {
  return {
    capacity,
    recent: new Float32Array(capacity * RECENT_STEPS),
    seasonal: new Float32Array(capacity * SEASONAL_ROWS * SEASONAL_STEPS),
    seasonalMask: new Float32Array(capacity * SEASONAL_ROWS),
  }
}

/**
 * Writes the model inputs for forecast origin `t` (newest observation at row t) into slot `slot` of `batch`,
 * reading only rows <= t except the seasonal rows' look-ahead part, which lies a day or a week in the past
 * (P >= 31 steps keeps it at or before t). Returns false, leaving the slot undefined, when the recent window
 * has an invalid row. A seasonal row with any invalid value is marked unavailable and zeroed, as the contract
 * asks.
 */
export function packWindow(values: Float64Array, t: number, periodDaySteps: number, periodWeekSteps: number, batch: ForecastBatch, slot: number): boolean {
  const start = t - RECENT_STEPS + 1
  if (start < 0) return false
  const recentOff = slot * RECENT_STEPS
  for (let i = 0; i < RECENT_STEPS; i++) {
    const v = values[start + i] ?? NaN
    if (!Number.isFinite(v)) return false
    batch.recent[recentOff + i] = v
  }
  const periods = [periodDaySteps, periodWeekSteps]
  for (let r = 0; r < SEASONAL_ROWS; r++) {
    const p = periods[r] ?? 0
    const off = (slot * SEASONAL_ROWS + r) * SEASONAL_STEPS
    const first = t - p - (SEASONAL_STEPS - SEASONAL_LEAD_STEPS - 1)
    let ok = p > SEASONAL_LEAD_STEPS && first >= 0
    for (let i = 0; ok && i < SEASONAL_STEPS; i++) {
      const v = values[first + i] ?? NaN
      if (!Number.isFinite(v)) ok = false
      else batch.seasonal[off + i] = v
    }
    if (!ok) batch.seasonal.fill(0, off, off + SEASONAL_STEPS)
    batch.seasonalMask[slot * SEASONAL_ROWS + r] = ok ? 1 : 0
  }
  return true
}
