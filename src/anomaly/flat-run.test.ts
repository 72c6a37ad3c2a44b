import t from 'tap'
import { FlatRun, type FlatRunOptions } from './flat-run.js'

const run = (opts: FlatRunOptions, learningSteps: number, values: number[]): number[] => {
  const f = new FlatRun(opts, learningSteps)
  return values.map((v) => f.update(v))
}
const rep = (v: number, n: number): number[] => new Array<number>(n).fill(v)
/** Rows (indices) with a non-zero score. */
const fired = (scores: number[]): number[] => scores.flatMap((s, i) => (s > 0 ? [i] : []))

const cases: { name: string; opts: FlatRunOptions; learning: number; values: number[]; fired: number[]; score?: number }[] = [
  // 0,1,0,1,... has no repeats; then 7 at rows 6-9: 3 repeats at row 9 >= minSteps 3 and > longest 0.
  { name: 'first run of minSteps repeats fires once, on the row it qualifies', opts: { minSteps: 3, maxScore: 1 }, learning: 0, values: [0, 1, 0, 1, 0, 1, 7, 7, 7, 7, 7, 7], fired: [9] },
  { name: 'a run shorter than minSteps never fires', opts: { minSteps: 5, maxScore: 1 }, learning: 0, values: [0, 1, ...rep(7, 5), 1, 2], fired: [] },
  // Run of 4 repeats (rows 1-5 of 3s) fires at row 4 (3 repeats); a later run must beat 4 repeats: row 12 (5th repeat).
  { name: 'a later run must beat the longest earlier run', opts: { minSteps: 3, maxScore: 0.8 }, learning: 0, values: [1, ...rep(3, 5), 2, ...rep(5, 5), 5, 5], fired: [4, 12], score: 0.8 },
  // An equally long run is not a record.
  { name: 'an equally long run is not a record', opts: { minSteps: 2, maxScore: 1 }, learning: 0, values: [1, ...rep(3, 4), 2, ...rep(5, 4), 1], fired: [3] },
  // The learning-time record (rows 1-4, 3 repeats at row 4) scores 0 but raises the bar to 3 repeats.
  { name: 'records while learning are remembered, not scored', opts: { minSteps: 2, maxScore: 1 }, learning: 6, values: [1, ...rep(3, 4), 2, ...rep(5, 4), 6, ...rep(8, 5)], fired: [15] },
  // NaN neither breaks nor extends the run (and is not a row).
  { name: 'NaN is ignored', opts: { minSteps: 3, maxScore: 1 }, learning: 0, values: [0, 1, 4, 4, NaN, 4, 4], fired: [6] },
  // The run of 3s qualifies on row 3 (2 repeats): scored when learning ends at row 3, not when it ends at row 4.
  { name: 'a record on the first row after learning scores', opts: { minSteps: 2, maxScore: 1 }, learning: 3, values: [1, 3, 3, 3, 3], fired: [3] },
  { name: 'a record on the last learning row does not', opts: { minSteps: 2, maxScore: 1 }, learning: 4, values: [1, 3, 3, 3, 3], fired: [] },
  { name: 'a run that became a record while learning never scores, however long it goes on', opts: { minSteps: 2, maxScore: 1 }, learning: 4, values: [1, ...rep(3, 20)], fired: [] },
  // Five finite rows (0-4); with NaN counted the record would be row 5 and past learning.
  { name: 'NaN rows do not count towards learning', opts: { minSteps: 2, maxScore: 1 }, learning: 4, values: [1, NaN, NaN, 3, 3, 3], fired: [] },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const out = run(c.opts, c.learning, c.values)
    t.same(fired(out), c.fired)
    for (const i of c.fired) t.equal(out[i], c.score ?? c.opts.maxScore)
  })
}

t.test('exact equality: a drift of any size breaks the run, whatever the scale', async (t) => {
  for (const scale of [1e-6, 1, 1e9]) {
    t.same(fired(run({ minSteps: 3, maxScore: 1 }, 0, [0, 1, 2, 2, 2, 2].map((v) => v * scale))), [5], `scale ${scale}`)
    t.same(fired(run({ minSteps: 3, maxScore: 1 }, 0, [0, 1, 2, 2 + 1e-9, 2, 2 + 1e-9].map((v) => v * scale))), [], `jitter at scale ${scale}`)
  }
})

t.test('rejects settings outside their ranges', async (t) => {
  t.throws(() => new FlatRun({ minSteps: 0, maxScore: 1 }, 0), RangeError)
  t.throws(() => new FlatRun({ minSteps: 3, maxScore: 0 }, 0), RangeError)
  t.throws(() => new FlatRun({ minSteps: 3, maxScore: 1.5 }, 0), RangeError)
})
