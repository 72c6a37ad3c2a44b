import { RECENT_STEPS, SEASONAL_LEAD_STEPS, SEASONAL_ROWS, SEASONAL_STEPS, type ForecastBatch } from '../model/onnx.js'

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
