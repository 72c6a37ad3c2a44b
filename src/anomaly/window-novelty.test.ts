import t from 'tap'
import { WindowNovelty, type WindowNoveltyOptions } from './window-novelty.js'

const opts: WindowNoveltyOptions = { windowSteps: 8, points: 4, vigilance: 0.2, memory: 16, gapSteps: 50 }

/** A square wave of period 8 between 0 and 10. */
const square = (i: number): number => (i % 8 < 4 ? 0 : 10)

t.test('a repeating shape stays quiet; a new one scores by the quiet time before it', async (t) => {
  const w = new WindowNovelty(opts, 40)
  const early = Array.from({ length: 200 }, (_, i) => w.update(square(i)))
  t.ok(early.slice(40).every((s) => s === 0), 'the square wave resonates once learnt')
  // A ramp inside the range: windows unlike any square-wave window.
  const scores = Array.from({ length: 8 }, (_, i) => w.update(i + 1))
  const first = scores.findIndex((s) => s > 0)
  t.ok(first >= 0, 'the new shape scores')
  const s = scores[first] ?? 0
  t.ok(s > 0.5 && s < 1, `after a long quiet spell it scores above 0.5 (${s})`)
})

t.test('the score depends on the past only', async (t) => {
  const run = (tail: number): number[] => {
    const w = new WindowNovelty(opts, 10)
    return Array.from({ length: 100 }, (_, i) => w.update(i < 90 ? square(i) : tail))
  }
  t.same(run(5).slice(0, 90), run(500).slice(0, 90))
})

t.test('memory is bounded: the shape resonated with longest ago is forgotten', async (t) => {
  const w = new WindowNovelty({ ...opts, memory: 1, gapSteps: 1 }, 0)
  for (let i = 0; i < 64; i++) w.update(square(i))
  // A long flat stretch replaces the one remembered shape; the square wave is then new again.
  for (let i = 0; i < 64; i++) w.update(5)
  const back = Array.from({ length: 16 }, (_, i) => w.update(square(i)))
  t.ok(back.some((s) => s > 0))
})

t.test('NaN is ignored and bad settings are rejected', async (t) => {
  const w = new WindowNovelty(opts, 0)
  t.equal(w.update(NaN), 0)
  t.throws(() => new WindowNovelty({ ...opts, windowSteps: 6 }, 0), RangeError)
  t.throws(() => new WindowNovelty({ ...opts, vigilance: 0 }, 0), RangeError)
})
