import t from 'tap'
import { ErrorRecord } from './error-record.js'

t.test('scores the averaged miss against the largest earlier average', async (t) => {
  const r = new ErrorRecord({ averagingSteps: 2, historySteps: 100 }, 3)
  t.same([1, 1, 1].map((m) => r.update(m)), [0, 0, 0], 'learning rows score 0')
  // Averages so far 1, 1, 1; next average (1 + 3) / 2 = 2 -> r = 2 -> 2/3.
  t.ok(Math.abs(r.update(3) - 2 / 3) < 1e-12)
  // Average (3 + 1) / 2 = 2 against a record of 2 -> r = 1 -> 0.5.
  t.ok(Math.abs(r.update(1) - 0.5) < 1e-12)
  // Average 1 against 2 -> 1/3.
  t.ok(Math.abs(r.update(1) - 1 / 3) < 1e-12)
})

t.test('old records age out of the bounded history', async (t) => {
  const r = new ErrorRecord({ averagingSteps: 1, historySteps: 3 }, 0)
  r.update(10)
  for (let i = 0; i < 3; i++) r.update(1)
  // The 10 has left the 3-row history: a miss of 2 is now a record of 2x.
  t.ok(Math.abs(r.update(2) - 2 / 3) < 1e-12)
})

t.test('any miss after only perfect forecasts scores 1', async (t) => {
  const r = new ErrorRecord({ averagingSteps: 1, historySteps: 10 }, 0)
  r.update(0)
  t.equal(r.update(0), 0.5)
  t.equal(r.update(0.1), 1)
})
