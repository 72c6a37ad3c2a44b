import type { InferenceSession } from 'onnxruntime-node'
import { HORIZON_STEPS, allocateBatch, runForecastBatch } from '../../src/model/onnx.js'
import { packWindow } from '../../src/forecast/windows.js'
import { maskSeasonal } from '../../src/forecast/batch-slots.js'

interface ModelForecasts {
  /** Origins that had a full valid recent window, ascending. */
  origins: Int32Array
  /** [origins.length, HORIZON_STEPS, 3] quantiles. */
  quantiles: Float32Array
}

/**
 * Model forecasts at many origins of one series, batched. Each window is packed from rows up to its origin
 * (see packWindow), so batching changes throughput only, never what a forecast could see.
 */
export async function forecastAtOrigins(
  session: InferenceSession,
  values: Float64Array,
  origins: ArrayLike<number>,
  periodDaySteps: number,
  periodWeekSteps: number,
  batchSize = 4096,
  /** Run every window with its seasonal rows masked (the seasonal gate's other setting). */
  masked = false,
): Promise<ModelForecasts> {
  const batch = allocateBatch(batchSize)
  const kept: number[] = []
  const chunks: Float32Array[] = []
  let slotOrigins: number[] = []
  const flush = async (): Promise<void> => {
    if (slotOrigins.length === 0) return
    chunks.push((await runForecastBatch(session, batch, slotOrigins.length)).slice())
    kept.push(...slotOrigins)
    slotOrigins = []
  }
  for (let i = 0; i < origins.length; i++) {
    const t = origins[i] ?? -1
    if (!packWindow(values, t, periodDaySteps, periodWeekSteps, batch, slotOrigins.length)) continue
    if (masked) maskSeasonal(batch, slotOrigins.length)
    slotOrigins.push(t)
    if (slotOrigins.length === batchSize) await flush()
  }
  await flush()
  const quantiles = new Float32Array(kept.length * HORIZON_STEPS * 3)
  let off = 0
  for (const c of chunks) {
    quantiles.set(c, off)
    off += c.length
  }
  return { origins: Int32Array.from(kept), quantiles }
}
