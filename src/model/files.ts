import { join } from 'node:path'
import { packageRoot } from '../util/paths.js'

// Where the model's files are, without loading onnxruntime or zod: the adapter's main thread reads the metadata
// for the engine's worker (worker-host.ts), and neither belongs in its heap.

/** The model shipped in the package: the graph and the metadata that describes it. */
export function bundledModel(): { onnxPath: string, metaPath: string } {
  const dir = join(packageRoot(), 'models')
  return { onnxPath: join(dir, 'foresight-forecaster.onnx'), metaPath: join(dir, 'foresight-forecaster.json') }
}

/** The configured model's files (model.file, model.metadataFile), the bundled ones where unset. */
export function modelFiles(model: { file?: string | undefined; metadataFile?: string | undefined }): { onnxPath: string, metaPath: string } {
  const bundled = bundledModel()
  return { onnxPath: model.file ?? bundled.onnxPath, metaPath: model.metadataFile ?? bundled.metaPath }
}
