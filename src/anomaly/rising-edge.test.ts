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

t.test('a ramp passes once per clear step up, and again once the ramp span has passed', async (t) => {
  const e = new RisingEdge(5, { steps: 3, margin: 0.2 })
  const out = [0, 0.54, 0.57, 0.63, 0.9, 0.92, 0, 0, 0, 0, 0, 0.5, 0.3, 0.2, 0.1, 0.6].map((s) => e.update(s))
  // 0.57 and 0.63 are within 3 rows of 0.54 and below 0.74; 0.9 clears it; 0.92 trails 0.9 + 0.2. 0.5 beats the
  // five zeros in view. 0.6 is 4 rows after 0.5, past the ramp span, so beating 0.5 at all is enough.
  t.same(out, [0, 0.54, 0, 0, 0.9, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0.6])
})

t.test('rejects a ramp without span or with a negative margin', async (t) => {
  t.throws(() => new RisingEdge(10, { steps: 0, margin: 0.1 }), RangeError)
  t.throws(() => new RisingEdge(10, { steps: 3, margin: -0.1 }), RangeError)
})
