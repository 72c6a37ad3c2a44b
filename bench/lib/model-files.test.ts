import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { bundledModel } from '../../src/model/onnx.js'
import { ModelLoadError } from '../../src/model/runtime.js'
import { loadModelFile, modelSha256 } from './model-files.js'

// bench:autoscale --model FILE: a model of the bundled contract without metadata of its own (leave-one-source-out).
t.test('a model file loads with the bundled contract, its own sha256 and a version naming its directory', async (t) => {
  const m = await loadModelFile(bundledModel().onnxPath)
  t.teardown(() => m.close())
  t.equal(m.meta.onnx_sha256, modelSha256(bundledModel().onnxPath))
  t.match(m.meta.version, /\+models$/)
})

t.test('a missing or foreign file is a ModelLoadError naming the file', async (t) => {
  await t.rejects(loadModelFile('/nonexistent/foresight.onnx'), new ModelLoadError('unable to load model /nonexistent/foresight.onnx: file not found'))
  const dir = mkdtempSync(join(tmpdir(), 'model-files-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bogus = join(dir, 'bogus.onnx')
  writeFileSync(bogus, 'not a model')
  await t.rejects(loadModelFile(bogus), { name: 'ModelLoadError', message: /^unable to load model .*bogus\.onnx: onnxruntime could not open it/ })
})
