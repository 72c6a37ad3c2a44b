import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { bundledModel, sha256Hex } from '../../src/model/onnx.js'
import { loadModel, ModelLoadError, type LoadedModel } from '../../src/model/runtime.js'

/** The bundled model's graph, which the benches measure. */
export function defaultModelPath(): string {
  return bundledModel().onnxPath
}

/** sha256 of a model file, so bench output says which model it measured. */
export function modelSha256(modelPath = defaultModelPath()): string {
  return sha256Hex(readFileSync(modelPath))
}

/**
 * Another ONNX file with the bundled model's contract (a leave-one-source-out model: the same inputs,
 * normalisation and quantiles, other weights), loaded through the runtime's own checks. Such files ship without
 * metadata, so the bundled metadata stands in with this file's sha256 and a version naming its directory.
 */
export async function loadModelFile(onnxPath: string): Promise<LoadedModel> {
  let sha: string
  try {
    sha = modelSha256(onnxPath)
  } catch (err) {
    throw new ModelLoadError(`unable to load model ${onnxPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'unreadable'}`)
  }
  const meta = JSON.parse(readFileSync(bundledModel().metaPath, 'utf8')) as Record<string, unknown>
  const dir = mkdtempSync(join(tmpdir(), 'foresight-model-'))
  try {
    const metaPath = join(dir, 'meta.json')
    writeFileSync(metaPath, JSON.stringify({ ...meta, version: `${String(meta.version)}+${basename(dirname(onnxPath))}`, onnx_sha256: sha, onnx_file: basename(onnxPath) }))
    return await loadModel(onnxPath, metaPath)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
