import t from 'tap'
import { resampleHeldout, resampleMeans } from './resample.js'
import type { SplitEntry } from './split.js'
import type { Series } from './traces.js'

function series(values: number[]): Series {
  return {
    name: 's',
    timestampsMs: Float64Array.from(values, (_, i) => i * 60_000),
    values: Float64Array.from(values),
    valid: Uint8Array.from(values, (v) => (Number.isFinite(v) ? 1 : 0)),
    stepSeconds: 60,
  }
}

t.test('bucket means; any invalid row invalidates its bucket; a partial tail is dropped', async (t) => {
  const r = resampleMeans(series([1, 2, 3, 4, 5, 6, NaN, 8, 9, 10, 11]), 3)
  t.same(Array.from(r.values), [2, 5, NaN])
  t.same(Array.from(r.valid), [1, 1, 0])
  t.same(Array.from(r.timestampsMs), [0, 180_000, 360_000])
  t.equal(r.stepSeconds, 180)
  t.throws(() => resampleMeans(series([1]), 0), RangeError)
})

t.test('held-out segment starts at the first bucket wholly inside it', async (t) => {
  const e: SplitEntry = { path: 'p', family: 'f', rows: 89_280, stepSeconds: 60, periodDaySteps: 1440, periodWeekSteps: 10_080, heldoutStartIndex: 71_424, unseenStartIndex: 0, whollyHeldout: false }
  const r = resampleHeldout(e, 5)
  t.same([r.rows, r.stepSeconds, r.periodDaySteps, r.periodWeekSteps, r.heldoutStartIndex], [17_856, 300, 288, 2016, 14_285])
  t.equal(resampleHeldout({ ...e, heldoutStartIndex: 71_425 }, 5).heldoutStartIndex, 14_285, 'on a bucket edge')
  t.throws(() => resampleHeldout(e, 7), RangeError, 'the day must be whole buckets')
})
