import t from 'tap'
import { WindowMax } from './window-max.js'

t.test('matches a brute-force maximum over the last capacity values', async (t) => {
  // 40 exercises growth: a falling run keeps every value in the deque.
  for (const capacity of [1, 2, 3, 7, 40]) {
    const w = new WindowMax(capacity)
    const all: number[] = []
    t.equal(w.max(), -Infinity)
    // A deterministic sequence with rises, falls and repeats.
    for (let i = 0; i < 120; i++) {
      const v = i < 60 ? ((i * 37) % 11) - (i % 4 === 0 ? 5 : 0) : 200 - i
      w.push(v)
      all.push(v)
      t.equal(w.max(), Math.max(...all.slice(-capacity)), `capacity ${capacity} after ${i + 1}`)
    }
  }
})

t.test('rejects a zero capacity', async (t) => {
  t.throws(() => new WindowMax(0), RangeError)
})
