import t from 'tap'
import { ExtremeRecord } from './extreme-record.js'

t.test('a new high after a long quiet scores by the quiet time; records in a row score little', async (t) => {
  const r = new ExtremeRecord({ gapSteps: 10, maxScore: 0.8 }, 3)
  // Rows 0-2 learn (0, 5, 2: records, but scored 0). Row 3: 1 is no record. Row 13: 6 beats the high set at
  // row 1, 12 rows ago: 0.8 * 12 / 22. Row 14: another high one row later: 0.8 * 1 / 11.
  const values = [0, 5, 2, 1, 3, 4, 3, 2, 4, 3, 2, 4, 3, 6, 7]
  const out = values.map((v) => r.update(v))
  t.same(out.slice(0, 13), new Array(13).fill(0))
  t.ok(Math.abs((out[13] ?? NaN) - (0.8 * 12) / 22) < 1e-12)
  t.ok(Math.abs((out[14] ?? NaN) - 0.8 / 11) < 1e-12)
})

t.test('a new low counts like a new high, and NaN is ignored', async (t) => {
  const r = new ExtremeRecord({ gapSteps: 10, maxScore: 1 }, 0)
  t.equal(r.update(5), 0)
  t.equal(r.update(NaN), 0)
  for (let i = 0; i < 9; i++) t.equal(r.update(5), 0)
  // Ten rows (the NaN is not a row) after the low was set at row 0.
  t.equal(r.update(4), 10 / 20)
})

t.test('rejects settings outside their ranges', async (t) => {
  t.throws(() => new ExtremeRecord({ gapSteps: 0, maxScore: 0.8 }, 0), RangeError)
  t.throws(() => new ExtremeRecord({ gapSteps: 10, maxScore: 1.5 }, 0), RangeError)
})
