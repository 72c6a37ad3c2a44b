import t from 'tap'
import { RangeNovelty } from './range-novelty.js'

t.test('range novelty waits for its learning period and uses earlier values only', async (t) => {
  const r = new RangeNovelty(0.1, 3)
  t.same([5, 6, 100].map((v) => r.update(v)), [false, false, false], 'learning')
  // Range [5, 100], slack 9.5: 104 inside; range [5, 104], slack 9.9: 114 outside, then it has joined the range.
  t.equal(r.update(104), false)
  t.equal(r.update(114), true)
  t.equal(r.update(114), false)
  // Range [5, 114], slack 10.9: -6 is below 5 - 10.9.
  t.equal(r.update(-5), false)
  t.equal(r.update(-17), true)
  t.equal(r.update(NaN), false)
})
