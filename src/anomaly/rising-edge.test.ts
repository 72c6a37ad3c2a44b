import t from 'tap'
import { RisingEdge } from './rising-edge.js'

t.test('keeps scores that beat the previous steps, zeroes their echoes', async (t) => {
  const e = new RisingEdge(3)
  const out = [0.1, 0.9, 0.8, 0.95, 0.2, 0.3, 0.1, 0.1, 0.85].map((s) => e.update(s))
  // 0.8 trails 0.9; 0.95 beats it; 0.2/0.3/0.1 trail 0.95 (0.3 beats 0.2 but not the 0.95 in view); 0.85 is
  // compared with 0.3, 0.1, 0.1 once 0.95 has left the 3-row view.
  t.same(out, [0.1, 0.9, 0, 0.95, 0, 0, 0, 0, 0.85])
})

t.test('zero steps passes every score through', async (t) => {
  const e = new RisingEdge(0)
  t.same([0.5, 0.5, 0.4].map((s) => e.update(s)), [0.5, 0.5, 0.4])
})
