/**
 * A detector's output restricted to the rows from `start` on, as a corpus file of its own: the rows a forecaster
 * was not trained on. Scores were computed over the whole series (the detector's state has seen the earlier rows,
 * as it would have in service); only the scoring is restricted. Windows ending before `start` are dropped, one
 * straddling it is cut at `start`.
 */
import type { DetectorFile } from './nab-scorer.js'

export function fromRow(file: DetectorFile, start: number): DetectorFile {
  const n = file.scores.length
  if (!(start >= 0 && start < n)) throw new RangeError(`${file.name}: start row ${start} outside 0..${n - 1}`)
  const scores = Float64Array.from({ length: n - start }, (_, i) => file.scores[start + i] ?? 0)
  const windows = file.windows.filter((w) => w.rightIndex >= start).map((w) => ({ leftIndex: Math.max(w.leftIndex, start) - start, rightIndex: w.rightIndex - start }))
  return { name: file.name, scores, windows }
}
