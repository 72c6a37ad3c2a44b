import { setImmediate as nextTurn } from 'node:timers/promises'
import { readFileSync } from 'node:fs'
import type * as ort from 'onnxruntime-node'
import { HORIZON_STEPS, QUANTILES, RECENT_STEPS, SEASONAL_ROWS, SEASONAL_STEPS, type ForecastBatch } from '../forecast/windows.js'
import { bundledModel, createForecasterSession, runForecastBatch, sha256Hex } from './onnx.js'
import { ModelLoadError } from './load-error.js'
import type { ModelMeta } from './meta.js'

// The serving side of the model: one session for the process, checked against its metadata at load so a wrong
// or corrupt file stops start-up with a precise error instead of producing numbers.

export { ModelLoadError } from './load-error.js'
export type { ModelMeta } from './meta.js'

export interface LoadedModel {
  meta: ModelMeta
  /** Quantiles laid out [count, HORIZON_STEPS, 3] for the first `count` windows of `batch`. */
  forecast(batch: ForecastBatch, count: number): Promise<Float32Array>
  close(): Promise<void>
}

const EXPECTED_INPUTS: ReadonlyArray<[string, ReadonlyArray<number | string>]> = [
  ['recent', ['N', RECENT_STEPS]],
  ['seasonal', ['N', SEASONAL_ROWS, SEASONAL_STEPS]],
  ['seasonal_mask', ['N', SEASONAL_ROWS]],
]

/** Reads and checks the metadata (with zod, loaded only here), then opens the model it describes. */
export async function loadModel(onnxPath: string, metaPath: string): Promise<LoadedModel> {
  const { readModelMeta } = await import('./meta.js')
  return openModel(onnxPath, readModelMeta(onnxPath, metaPath))
}

/**
 * Opens the model at `onnxPath` described by `meta`, already checked (meta.ts): its bytes must match the
 * metadata's digest and its graph the forecaster contract.
 */
export async function openModel(onnxPath: string, meta: ModelMeta): Promise<LoadedModel> {
  const fail = (why: string): never => { throw new ModelLoadError(`unable to load model ${onnxPath}: ${why}`) }
  let bytes: Buffer
  try {
    bytes = readFileSync(onnxPath)
  } catch {
    return fail('file not found or unreadable')
  }
  const sha = sha256Hex(bytes)
  if (sha !== meta.onnx_sha256) fail(`sha256 ${sha} does not match the metadata's ${meta.onnx_sha256} (wrong or corrupt file)`)

  let session: ort.InferenceSession
  try {
    // No CPU arena: it keeps the peak of the largest batch for the life of the process (about 250 MB at 10,000 windows).
    session = await createForecasterSession(onnxPath, { enableCpuMemArena: false })
  } catch (err) {
    return fail(`onnxruntime could not open it: ${(err as Error).message.split('\n')[0]}`)
  }
  const inputs = session.inputMetadata
  for (const [name, shape] of EXPECTED_INPUTS) {
    const m = inputs.find((i) => i.name === name)
    if (m === undefined || !m.isTensor || m.type !== 'float32' || JSON.stringify(m.shape.slice(1)) !== JSON.stringify(shape.slice(1))) {
      await session.release()
      fail(`input ${name} must be float32 ${JSON.stringify(shape)}`)
    }
  }
  if (!session.outputNames.includes('quantiles')) {
    await session.release()
    fail('output quantiles is missing')
  }
  return {
    meta,
    forecast: (batch, count) => forecastInTurns(session, batch, count),
    close: () => session.release(),
  }
}

// onnxruntime-node runs a session synchronously on the event loop: 10,000 windows in one run hold it for about
// 90 ms, and API requests with it. Runs of this many windows (a few ms each) give requests a turn in between.
const WINDOWS_PER_RUN = 500

/** The windows are independent, so running them in slices gives the same quantiles as one run. */
async function forecastInTurns(session: ort.InferenceSession, batch: ForecastBatch, count: number): Promise<Float32Array> {
  if (count <= WINDOWS_PER_RUN) return await runForecastBatch(session, batch, count)
  const out = new Float32Array(count * HORIZON_STEPS * QUANTILES.length)
  for (let first = 0; first < count; first += WINDOWS_PER_RUN) {
    if (first > 0) await nextTurn()
    const n = Math.min(WINDOWS_PER_RUN, count - first)
    out.set(await runForecastBatch(session, batch, n, first), first * HORIZON_STEPS * QUANTILES.length)
  }
  return out
}

/** The model shipped in the package. */
export async function loadBundledModel(): Promise<LoadedModel> {
  const { onnxPath, metaPath } = bundledModel()
  return loadModel(onnxPath, metaPath)
}
