import t from 'tap'
import { copySlot, hasSeasonal, maskSeasonal } from './batch-slots.js'
import { allocateBatch, RECENT_STEPS, SEASONAL_ROWS, SEASONAL_STEPS } from './windows.js'

t.test('copy a slot, then mask the copy: the original keeps its seasonal rows', async (t) => {
  const b = allocateBatch(3)
  b.recent.fill(4, RECENT_STEPS, 2 * RECENT_STEPS)
  b.seasonal.fill(9, SEASONAL_ROWS * SEASONAL_STEPS, 2 * SEASONAL_ROWS * SEASONAL_STEPS)
  b.seasonalMask.fill(1, SEASONAL_ROWS, 2 * SEASONAL_ROWS)
  t.notOk(hasSeasonal(b, 0))
  t.ok(hasSeasonal(b, 1))
  copySlot(b, 1, 2)
  t.same([...b.recent.subarray(2 * RECENT_STEPS)], new Array(RECENT_STEPS).fill(4))
  maskSeasonal(b, 2)
  t.notOk(hasSeasonal(b, 2))
  t.ok(b.seasonal.subarray(2 * SEASONAL_ROWS * SEASONAL_STEPS).every((v) => v === 0))
  t.ok(hasSeasonal(b, 1), 'the source slot is untouched')
  t.equal(b.seasonal[SEASONAL_ROWS * SEASONAL_STEPS], 9)
})
