import t from 'tap'
import { bridgeGaps, fillTail, latestFinite } from './series.js'

const f = (xs: number[]): Float64Array => Float64Array.from(xs)

t.test('bridgeGaps', async (t) => {
  const a = f([1, NaN, NaN, 4, 5])
  t.equal(bridgeGaps(a, 2), 0)
  t.same([...a], [1, 2, 3, 4, 5])
  const b = f([1, NaN, NaN, NaN, 5])
  t.equal(bridgeGaps(b, 2), 3, 'a gap longer than allowed is left alone')
  t.ok(Number.isNaN(b[2]))
  const c = f([NaN, 2, 3, NaN])
  t.equal(bridgeGaps(c, 5), 2, 'edges are not invented')
  t.same([...f([7, 7])], [7, 7])
})

t.test('latestFinite and fillTail', async (t) => {
  t.same(latestFinite(f([1, 2, NaN]), 3), { value: 2, age: 1 })
  t.equal(latestFinite(f([1, NaN, NaN, NaN]), 2), undefined)
  const a = f([1, 2, NaN, NaN])
  t.equal(fillTail(a, 2), true)
  t.same([...a], [1, 2, 2, 2])
  t.equal(fillTail(f([1, NaN, NaN, NaN]), 2), false)
  t.equal(fillTail(f([NaN, NaN]), 5), false)
})
