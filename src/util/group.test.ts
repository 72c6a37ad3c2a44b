import t from 'tap'
import { pushTo } from './group.js'

t.test('pushTo groups in order, one list per key, kept by reference', async (t) => {
  const m = new Map<string, number[]>()
  const cases: Array<[string, number]> = [['a', 1], ['b', 2], ['a', 3], ['a', 4], ['b', 5]]
  for (const [k, v] of cases) pushTo(m, k, v)
  t.same([...m], [['a', [1, 3, 4]], ['b', [2, 5]]])
  const a = m.get('a')
  pushTo(m, 'a', 6)
  t.equal(m.get('a'), a, 'the same list grows')
  t.same(a, [1, 3, 4, 6])
})
