import t from 'tap'
import { allocateBatch, packWindow } from './windows.js'

t.test('packs recent and seasonal rows at the contract offsets', async (t) => {
  const values = Float64Array.from({ length: 400 }, (_, i) => i)
  const batch = allocateBatch(2)
  // Day period 100, week period 300, origin 350: day row covers 191..280, week row would start at -9.
  t.ok(packWindow(values, 350, 100, 300, batch, 1))
  t.equal(batch.recent[60], 291, 'slot 1 oldest recent = t-59')
  t.equal(batch.recent[119], 350, 'slot 1 newest recent = t')
  t.equal(batch.seasonal[2 * 90], 191, 'day row starts at t-P-59')
  t.equal(batch.seasonal[2 * 90 + 89], 280, 'day row ends at t-P+30')
  t.same([...batch.seasonalMask.subarray(2, 4)], [1, 0])
  t.equal(batch.seasonal[3 * 90], 0, 'unavailable row zeroed')
})

t.test('rejects windows with invalid recent rows and masks seasonal rows with gaps', async (t) => {
  const values = Float64Array.from({ length: 400 }, (_, i) => i)
  values[200] = NaN
  const batch = allocateBatch(1)
  t.notOk(packWindow(values, 230, 100, 300, batch, 0), 'gap inside the recent window')
  t.ok(packWindow(values, 300, 100, 300, batch, 0))
  t.equal(batch.seasonalMask[0], 0, 'day row 141..230 holds the gap')
  t.notOk(packWindow(values, 10, 100, 300, batch, 0), 'not enough history')
  // A day shorter than the look-ahead would read the future: masked.
  t.ok(packWindow(Float64Array.from({ length: 400 }, () => 1), 399, 24, 168, batch, 0))
  t.same([...batch.seasonalMask], [0, 1])
})
