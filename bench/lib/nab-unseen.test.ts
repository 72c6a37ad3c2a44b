import t from 'tap'
import { fromRow } from './nab-unseen.js'

t.test('rows before the start are dropped, windows shifted, cut or dropped', async (t) => {
  const f = { name: 'g/f.csv', scores: Float64Array.from({ length: 10 }, (_, i) => i / 10), windows: [{ leftIndex: 0, rightIndex: 2 }, { leftIndex: 3, rightIndex: 5 }, { leftIndex: 7, rightIndex: 8 }] }
  const r = fromRow(f, 4)
  t.same(Array.from(r.scores), [0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
  t.same(r.windows, [{ leftIndex: 0, rightIndex: 1 }, { leftIndex: 3, rightIndex: 4 }])
  t.same(fromRow(f, 0).windows, f.windows)
  t.throws(() => fromRow(f, 10), RangeError)
})
