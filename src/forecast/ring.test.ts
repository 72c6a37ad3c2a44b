import t from 'tap'
import { Ring } from './ring.js'

t.test('a ring keeps the newest values, addressed by lag', async (t) => {
  const r = new Ring(3)
  t.ok(Number.isNaN(r.at(0)))
  for (const v of [1, 2, 3, 4]) r.push(v)
  t.equal(r.length, 3)
  t.same([r.at(0), r.at(1), r.at(2)], [4, 3, 2])
  t.ok(Number.isNaN(r.at(3)))
  t.same([...r.last(2)], [3, 4])
  t.throws(() => new Ring(0), RangeError)
})
