import t from 'tap'
import { BlockStats } from './block-stats.js'

function twoPass(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)
  return { mean, std: Math.sqrt(v) }
}

t.test('matches a two-pass mean and deviation while the window is not full', async (t) => {
  const b = new BlockStats(100, 10)
  const xs = Array.from({ length: 37 }, (_, i) => Math.sin(i) * 0.3 + 0.5)
  for (const x of xs) b.push(x)
  t.equal(b.length, 37)
  const want = twoPass(xs)
  const got = b.stats()
  t.ok(Math.abs(got.mean - want.mean) < 1e-12)
  t.ok(Math.abs(got.std - want.std) < 1e-9)
})

t.test('drops whole blocks: the window holds between history - block and history values', async (t) => {
  const b = new BlockStats(30, 10)
  // 30 ones, then 25 threes: the first blocks of ones leave as blocks of threes start.
  for (let i = 0; i < 30; i++) b.push(1)
  t.equal(b.length, 30)
  for (let i = 0; i < 25; i++) b.push(3)
  // Blocks: [3 x10] [3 x10] [3 x5] -> 25 values, all threes.
  t.equal(b.length, 25)
  t.same(b.stats(), { mean: 3, std: 0 })
  b.push(3)
  t.equal(b.length, 26)
})

t.test('edge cases', async (t) => {
  const b = new BlockStats(5, 10)
  t.ok(Number.isNaN(b.stats().mean))
  b.push(0.25)
  t.same(b.stats(), { mean: 0.25, std: 0 })
  t.throws(() => new BlockStats(0, 1), RangeError)
  t.throws(() => new BlockStats(10, 0), RangeError)
})
