import t from 'tap'
import { CircuitBreaker } from './breaker.js'

t.test('circuit breaker state machine', async (t) => {
  let now = 0
  const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000, now: () => now })
  // Each step: [action, expected state after, expected tryAcquire result for 'try' steps]
  const steps: Array<[string, string, boolean?]> = [
    ['try', 'closed', true],
    ['fail', 'closed'],
    ['fail', 'closed'],
    ['ok', 'closed'],
    ['fail', 'closed'],
    ['fail', 'closed'],
    ['fail', 'open'],
    ['try', 'open', false],
    ['wait 999', 'open'],
    ['try', 'open', false],
    ['wait 1', 'half-open'],
    ['try', 'half-open', true],
    ['try', 'half-open', false],
    ['fail', 'open'],
    ['wait 1000', 'half-open'],
    ['try', 'half-open', true],
    ['ok', 'closed'],
    ['try', 'closed', true],
  ]
  steps.forEach(([action, state, allowed], i) => {
    if (action === 'try') t.equal(b.tryAcquire(), allowed, `step ${i}: tryAcquire`)
    else if (action === 'fail') b.onFailure()
    else if (action === 'ok') b.onSuccess()
    else now += Number(action.split(' ')[1])
    t.equal(b.state, state, `step ${i} (${action}): ${state}`)
  })
})

t.test('retryInMs and the opening signal', async (t) => {
  let now = 0
  const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 500, now: () => now })
  t.equal(b.retryInMs(), 0)
  t.equal(b.onFailure(), true, 'the failure that opens says so')
  now = 200
  t.equal(b.retryInMs(), 300)
  t.equal(b.onFailure(), false, 'late failures of calls already in flight do not re-open')
  t.throws(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 }), RangeError)
})
