/**
 * `bench:nab -- --model-per-group DIR`: each NAB group held out in the leave-one-group-out validation is scored with
 * a forecaster that never saw it, DIR/<group>/foresight-forecaster.onnx (`npm run model:loso` writes
 * models/.loso/<source>/ for every source, and a NAB group is a source there), so that neither the detector's
 * setting nor the forecaster's weights have seen the scored files.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { BenchOptionError } from './sources.js'

/** File name of a model in each group's directory (models/loso.sh writes it so). */
export const FOLD_MODEL_FILE = 'foresight-forecaster.onnx'

/**
 * Group -> model file, for every group of the corpus. Every group must have its model: a fold scored with the
 * shipped model instead would silently bring back what the option is there to keep out.
 */
export function foldModelPaths(dir: string, groups: readonly string[], exists: (path: string) => boolean = existsSync): Map<string, string> {
  if (groups.length === 0) throw new BenchOptionError('--model-per-group: the corpus has no groups')
  const root = resolve(dir)
  const out = new Map<string, string>()
  const missing: string[] = []
  for (const g of [...groups].sort()) {
    if (g === '') throw new BenchOptionError('--model-per-group: a file of the corpus is in no group (data/<group>/<file>.csv)')
    const path = join(root, g, FOLD_MODEL_FILE)
    if (exists(path)) out.set(g, path)
    else missing.push(path)
  }
  if (missing.length > 0) {
    throw new BenchOptionError(`--model-per-group ${dir}: no model for ${missing.length === 1 ? 'a group' : `${missing.length} groups`}: ${missing.join(', ')} missing (npm run model:loso writes models/.loso/<group>/)`)
  }
  return out
}
