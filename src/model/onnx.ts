/**
 * Minimal onnxruntime-node wrapper for the forecaster contract (models/foresight-forecaster.json):
 * recent [N,60], seasonal [N,2,90], seasonal_mask [N,2] in, quantiles [N,30,3] out, float32, raw units.
 */
import { createHash } from 'node:crypto'
import * as ort from 'onnxruntime-node'
import { bundledModel } from './files.js'
import { HORIZON_STEPS, QUANTILES, RECENT_STEPS, SEASONAL_ROWS, SEASONAL_STEPS, type ForecastBatch } from '../forecast/windows.js'

export { HORIZON_STEPS, RECENT_STEPS, SEASONAL_STEPS, allocateBatch, type ForecastBatch } from '../forecast/windows.js'

export { bundledModel } from './files.js'

/** sha256 of a model's bytes: what the metadata pins and what bench output names. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export async function createForecasterSession(modelPath = bundledModel().onnxPath, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all', ...options })
}

/**
 * Runs `count` windows of `batch` from window `first`; returns quantiles laid out [count, HORIZON_STEPS, 3].
 * Tensors are views on the batch buffers, so no copy is made on the way in.
 */
export async function runForecastBatch(session: ort.InferenceSession, batch: ForecastBatch, count = batch.capacity, first = 0): Promise<Float32Array> {
  if (!(Number.isInteger(first) && first >= 0 && count >= 1 && first + count <= batch.capacity)) throw new RangeError(`windows [${first}, ${first + count}) must lie in [0, ${batch.capacity})`)
  const end = first + count
  const feeds = {
    recent: new ort.Tensor('float32', batch.recent.subarray(first * RECENT_STEPS, end * RECENT_STEPS), [count, RECENT_STEPS]),
    seasonal: new ort.Tensor('float32', batch.seasonal.subarray(first * SEASONAL_ROWS * SEASONAL_STEPS, end * SEASONAL_ROWS * SEASONAL_STEPS), [count, SEASONAL_ROWS, SEASONAL_STEPS]),
    seasonal_mask: new ort.Tensor('float32', batch.seasonalMask.subarray(first * SEASONAL_ROWS, end * SEASONAL_ROWS), [count, SEASONAL_ROWS]),
  }
  const out = await session.run(feeds)
  const q = out.quantiles
  if (q === undefined || !(q.data instanceof Float32Array) || q.data.length !== count * HORIZON_STEPS * QUANTILES.length) {
    throw new Error('the model did not return quantiles [N,30,3] float32')
  }
  return q.data
}
