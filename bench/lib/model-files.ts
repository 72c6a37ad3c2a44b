import { readFileSync } from 'node:fs'
import { bundledModel, sha256Hex } from '../../src/model/onnx.js'

/** The bundled model's graph, which the benches measure. */
export function defaultModelPath(): string {
  return bundledModel().onnxPath
}

/** sha256 of a model file, so bench output says which model it measured. */
export function modelSha256(modelPath = defaultModelPath()): string {
  return sha256Hex(readFileSync(modelPath))
}
