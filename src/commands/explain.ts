import type { Logger } from 'pino'
import type { AdapterConfig } from '../config/adapter-config.js'
import { formatExplanation } from '../engine/explanation.js'
import { buildPrediction } from './adapter.js'

class ExplainError extends Error {
  override name = 'ExplainError'
}

/**
 * Recomputes one policy from the data source now and describes the derivation. A fresh computation has no
 * scale-down history, so while the adapter is still damping a scale-down it may serve a higher count than this.
 */
/** The explanation, and whether a replica count could be served at all (the CLI exits 1 when not). */
export async function explainPolicy(cfg: AdapterConfig, target: string, log: Logger): Promise<{ text: string; served: boolean }> {
  const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(target)
  if (m === null) throw new ExplainError(`unable to explain "${target}": expected <namespace>/<policy>`)
  const { model, policies, engine } = await buildPrediction(cfg, log)
  try {
    await policies.start()
    const policy = policies.list().find((p) => `${p.metadata.namespace}/${p.metadata.name}` === target)
    if (policy === undefined) {
      const why = policies.invalid().get(target)
      throw new ExplainError(why !== undefined ? `unable to explain ${target}: the policy is invalid: ${why}` : `unable to explain ${target}: no such policy`)
    }
    await engine.refresh([policy])
    const result = engine.result(target)
    if (result === undefined) throw new ExplainError(`unable to explain ${target}: the engine produced no result`)
    return { text: formatExplanation(result), served: result.desiredReplicas !== undefined }
  } finally {
    await policies.close()
    await model.close()
  }
}
