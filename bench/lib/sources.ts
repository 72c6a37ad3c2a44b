/**
 * Where a series of the split comes from, for `bench:forecast -- --source NAME`: the leave-one-source-out
 * evaluation retrains the model without every row of one source and scores it on that source's held-out segments
 * (models/pipeline/loso.py names the sources the same way).
 */
import { NASA_FILE } from './traces.js'

/** A bad option value (an unknown source, a missing model file): one line on stderr, exit 1. */
export class BenchOptionError extends Error {
  override name = 'BenchOptionError'
}

/** "nasa" for the NASA trace, the NAB group for a NAB file ("nab/data/<group>/..."), else the first path segment. */
export function sourceOf(path: string): string {
  if (path === NASA_FILE) return 'nasa'
  const nab = /^nab\/data\/([^/]+)\//.exec(path)
  if (nab?.[1] !== undefined) return nab[1]
  return path.split('/')[0] ?? path
}

/** The split's paths of one source, in split order; a source with no file is a user error naming the known ones. */
export function pathsOfSource(paths: Iterable<string>, source: string): string[] {
  const all = [...paths]
  const out = all.filter((p) => sourceOf(p) === source)
  if (out.length === 0) {
    const known = [...new Set(all.map(sourceOf))].sort().join(', ')
    throw new BenchOptionError(`--source ${source}: no series of that source in the split (sources: ${known})`)
  }
  return out
}
