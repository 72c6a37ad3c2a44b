/**
 * Slot operations on a packed forecast batch for the seasonal gate (adaptive.ts): running a window with its seasonal
 * rows masked, and a second copy of a window with the other seasonal setting (the gate's shadow forecast).
 */
import { RECENT_STEPS, SEASONAL_ROWS, SEASONAL_STEPS, type ForecastBatch } from './windows.js'

/** Marks every seasonal row of the slot unavailable and zeroes it, as the model's contract asks of a missing row. */
export function maskSeasonal(batch: ForecastBatch, slot: number): void {
  batch.seasonal.fill(0, slot * SEASONAL_ROWS * SEASONAL_STEPS, (slot + 1) * SEASONAL_ROWS * SEASONAL_STEPS)
  batch.seasonalMask.fill(0, slot * SEASONAL_ROWS, (slot + 1) * SEASONAL_ROWS)
}

/** Whether any seasonal row of the slot is available (otherwise masking changes nothing). */
export function hasSeasonal(batch: ForecastBatch, slot: number): boolean {
  for (let r = 0; r < SEASONAL_ROWS; r++) if (batch.seasonalMask[slot * SEASONAL_ROWS + r] === 1) return true
  return false
}

/** Copies slot `from` to slot `to` (all inputs). */
export function copySlot(batch: ForecastBatch, from: number, to: number): void {
  batch.recent.copyWithin(to * RECENT_STEPS, from * RECENT_STEPS, (from + 1) * RECENT_STEPS)
  batch.seasonal.copyWithin(to * SEASONAL_ROWS * SEASONAL_STEPS, from * SEASONAL_ROWS * SEASONAL_STEPS, (from + 1) * SEASONAL_ROWS * SEASONAL_STEPS)
  batch.seasonalMask.copyWithin(to * SEASONAL_ROWS, from * SEASONAL_ROWS, (from + 1) * SEASONAL_ROWS)
}
