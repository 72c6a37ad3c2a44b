import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FOLD_MODEL_FILE, foldModelPaths } from './nab-fold-models.js'
import { BenchOptionError } from './sources.js'

function dirWith(groups: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'nab-fold-models-'))
  for (const g of groups) {
    mkdirSync(join(dir, g))
    writeFileSync(join(dir, g, FOLD_MODEL_FILE), '')
  }
  return dir
}

t.test('each group maps to the model in its own directory', async (t) => {
  const dir = dirWith(['realKnownCause', 'realAWSCloudwatch', 'artificialWithAnomaly', 'nasa'])
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const m = foldModelPaths(dir, ['realKnownCause', 'artificialWithAnomaly', 'realAWSCloudwatch'])
  t.same([...m.keys()], ['artificialWithAnomaly', 'realAWSCloudwatch', 'realKnownCause'])
  t.equal(m.get('realKnownCause'), join(dir, 'realKnownCause', FOLD_MODEL_FILE))
  t.equal(m.get('realAWSCloudwatch'), join(dir, 'realAWSCloudwatch', FOLD_MODEL_FILE))
})

t.test('a group without its model is an option error naming the missing file', async (t) => {
  const dir = dirWith(['realAWSCloudwatch'])
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A directory alone is not enough: the model file itself must be there.
  mkdirSync(join(dir, 'realKnownCause'))
  t.throws(() => foldModelPaths(dir, ['realAWSCloudwatch', 'realKnownCause']), new BenchOptionError(`--model-per-group ${dir}: no model for a group: ${join(dir, 'realKnownCause', FOLD_MODEL_FILE)} missing (npm run model:loso writes models/.loso/<group>/)`))
  t.throws(() => foldModelPaths(join(dir, 'nope'), ['a', 'b']), { name: 'BenchOptionError', message: /no model for 2 groups: .*nope\/a\/foresight-forecaster\.onnx, .*nope\/b\/foresight-forecaster\.onnx missing/ })
})

t.test('files outside any group and an empty corpus are rejected', async (t) => {
  t.throws(() => foldModelPaths('/x', ['']), { name: 'BenchOptionError', message: /in no group/ })
  t.throws(() => foldModelPaths('/x', []), { name: 'BenchOptionError' })
})
