import t from 'tap'
import { demandAt } from '../../src/sim/load.js'
import { gridStartMs, sourceSegment } from './source-segment.js'
import type { Series } from './traces.js'

/** `n` rows every `stepSeconds` from `firstMs`, value i + 1; `at` overrides a row's timestamp. */
function series(n: number, stepSeconds: number, firstMs: number, at: (i: number, ms: number) => number = (_, ms) => ms): Series {
  const timestampsMs = Float64Array.from({ length: n }, (_, i) => at(i, firstMs + i * stepSeconds * 1000))
  return { name: 's', timestampsMs, values: Float64Array.from({ length: n }, (_, i) => i + 1), valid: new Uint8Array(n).fill(1), stepSeconds }
}

t.test('a 5-minute series: its own step, the held-out rows, rows on the epoch-aligned grid', async (t) => {
  // First row 2 minutes past a 5-minute boundary, as some NAB files are.
  const first = 1_700_000_100_000 + 120_000
  const seg = sourceSegment(series(100, 300, first), { stepSeconds: 300, heldoutStartIndex: 80 })
  if (!seg.ok) throw new Error(seg.reason)
  const grid = gridStartMs(first, 300_000)
  t.equal(grid % 300_000, 0)
  t.ok(first - grid < 300_000 && first >= grid)
  t.equal(seg.stepSeconds, 300)
  t.equal(seg.load.stepMs, 300_000, 'not resampled')
  t.equal(seg.fromMs, grid + 80 * 300_000)
  t.equal(seg.toMs - seg.fromMs, 20 * 300_000, '20 held-out rows of 5 minutes')
  t.equal(demandAt(seg.load, seg.fromMs), 81, 'the first simulated step is held-out row 80')
  t.equal(seg.capacityPerReplica, Number((40.5 / 6.95).toPrecision(3)), 'mean of rows 0..79 / 6.95')
  t.equal(seg.irregularSpacings, 0)
})

t.test('rows are steps; skipped or repeated timestamps are counted, not moved', async (t) => {
  const s = series(100, 300, 0, (i, ms) => (i === 10 ? ms - 300_000 : i > 50 ? ms + 600_000 : ms))
  const seg = sourceSegment(s, { stepSeconds: 300, heldoutStartIndex: 80 })
  if (!seg.ok) throw new Error(seg.reason)
  t.equal(seg.irregularSpacings, 3, 'row 10 repeats row 9, row 11 jumps 10 minutes, row 51 jumps 15')
  t.equal(demandAt(seg.load, seg.fromMs), 81)
})

t.test('what cannot be simulated says why', async (t) => {
  const cases: Array<[string, ReturnType<typeof sourceSegment>, RegExp]> = [
    ['hourly', sourceSegment(series(100, 3600, 0), { stepSeconds: 3600, heldoutStartIndex: 80 }), /^a 3600 s step; a policy reads its load at most every 600 s/],
    ['half-hourly', sourceSegment(series(100, 1800, 0), { stepSeconds: 1800, heldoutStartIndex: 80 }), /^a 1800 s step/],
    ['split and file disagree', sourceSegment(series(100, 60, 0), { stepSeconds: 300, heldoutStartIndex: 80 }), /^the file's most common spacing is 60 s but the split says 300 s$/],
    ['held-out start past the end', sourceSegment(series(100, 300, 0), { stepSeconds: 300, heldoutStartIndex: 100 }), /^held-out start 100 is outside its 100 rows$/],
    ['validation asked for, none in the split', sourceSegment(series(100, 300, 0), { stepSeconds: 300, heldoutStartIndex: 80 }, 'validation'), /^the split gives it no validation rows$/],
    ['validation after the held-out start', sourceSegment(series(100, 300, 0), { stepSeconds: 300, heldoutStartIndex: 80, validationStartIndex: 80 }, 'validation'), /^validation start 80 is not before the held-out start 80$/],
  ]
  const zeros = series(100, 300, 0)
  zeros.values.fill(0)
  cases.push(['no load before the held-out rows', sourceSegment(zeros, { stepSeconds: 300, heldoutStartIndex: 80 }), /^the mean before the held-out segment is 0: no capacity per replica/])
  for (const [label, seg, want] of cases) {
    t.equal(seg.ok, false, label)
    if (!seg.ok) t.match(seg.reason, want, label)
  }
})

t.test('the validation rows end where the held-out rows begin; the capacity is the same for both', async (t) => {
  const s = series(100, 300, 0)
  const e = { stepSeconds: 300, heldoutStartIndex: 80, validationStartIndex: 60 }
  const held = sourceSegment(s, e)
  const val = sourceSegment(s, e, 'validation')
  if (!held.ok || !val.ok) throw new Error('both segments should simulate')
  t.equal(val.fromMs, held.fromMs - 20 * 300_000, 'from row 60')
  t.equal(val.toMs, held.fromMs, 'to row 80, where the held-out rows start')
  t.equal(val.capacityPerReplica, held.capacityPerReplica)
  t.same([val.fromRow, val.toRow, held.fromRow, held.toRow], [60, 80, 80, 100], 'the rows each segment simulates')
})
