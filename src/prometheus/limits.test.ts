import t from 'tap'
import { ConcurrencyLimit } from './limits.js'

t.test('at most maxInFlight tasks run, in arrival order, and failures free their slot', async (t) => {
  for (const max of [1, 2, 3]) {
    const limit = new ConcurrencyLimit(max)
    let running = 0
    let peak = 0
    const started: number[] = []
    const tasks = Array.from({ length: 8 }, (_, i) =>
      limit.run(async () => {
        started.push(i)
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 2))
        running--
        if (i % 3 === 0) throw new Error(`task ${i}`)
        return i
      }),
    )
    const results = await Promise.allSettled(tasks)
    t.equal(peak, max, `max ${max}: peak`)
    t.same(started, [0, 1, 2, 3, 4, 5, 6, 7], `max ${max}: FIFO`)
    t.equal(results.filter((r) => r.status === 'rejected').length, 3)
    t.equal(limit.inFlight, 0)
    t.equal(limit.queued, 0)
  }
  t.throws(() => new ConcurrencyLimit(0), RangeError)
})
