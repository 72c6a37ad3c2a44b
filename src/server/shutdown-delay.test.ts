import t from 'tap'
import { ShutdownDelay } from './shutdown-delay.js'

t.test('readiness fails as soon as the delay begins, and begin() resolves only after the delay', async (t) => {
  const delay = new ShutdownDelay(150)
  t.equal(delay.check.check().ready, true)
  const started = Date.now()
  const done = delay.begin()
  t.equal(delay.check.check().ready, false, 'not ready while draining')
  t.equal(delay.check.check().reason, 'shutting down')
  await done
  t.ok(Date.now() - started >= 140, 'waited for the delay')
  t.equal(delay.check.check().ready, false, 'stays not ready')
})

t.test('a zero delay fails readiness and resolves at once', async (t) => {
  const delay = new ShutdownDelay(0)
  await delay.begin()
  t.equal(delay.check.check().ready, false)
})
