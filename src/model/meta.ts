import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { HORIZON_STEPS, QUANTILES, RECENT_STEPS, SEASONAL_STEPS } from '../forecast/windows.js'
import { ModelLoadError } from './load-error.js'

// The model's metadata file, checked against the forecaster contract before the graph is opened. Apart from the
// runtime so the engine's worker need not load zod: with the engine on its worker the main thread, which has zod
// loaded anyway, reads and checks it and hands the result over (worker-host.ts).

const modelMetaSchema = z.object({
  version: z.string().min(1),
  window: z.literal(RECENT_STEPS),
  seasonal_length: z.literal(SEASONAL_STEPS),
  horizons: z.literal(HORIZON_STEPS),
  quantiles: z.literal(QUANTILES.join(',')),
  onnx_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  training_data_sha256: z.string().min(1),
}).loose()

export type ModelMeta = z.infer<typeof modelMetaSchema>

/** The metadata at `metaPath` of the model at `onnxPath` (which names it in the error); throws ModelLoadError. */
export function readModelMeta(onnxPath: string, metaPath: string): ModelMeta {
  const fail = (why: string): never => { throw new ModelLoadError(`unable to load model ${onnxPath}: ${why}`) }
  let metaRaw: unknown
  try {
    metaRaw = JSON.parse(readFileSync(metaPath, 'utf8'))
  } catch (err) {
    fail(`metadata ${metaPath} is missing or not JSON (${(err as Error).message.split('\n')[0]})`)
  }
  const parsed = modelMetaSchema.safeParse(metaRaw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    fail(`metadata ${metaPath}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data as ModelMeta
}
