import t from 'tap'
import { ContextNovelty, MultiResolutionContext } from './context-novelty.js'

t.test('a repeating pattern stops being novel; a new shape is, scaled by the quiet time', async (t) => {
  const c = new ContextNovelty({ bins: 4, order: 2, gapSteps: 10 }, 0)
  // 0 and 4 fix the range, so the cycle 0,1,2,3 maps to levels 0,1,2,3.
  const values = [0, 4, ...Array.from({ length: 40 }, (_, i) => i % 4)]
  const scores = values.map((v) => c.update(v))
  t.ok(scores.slice(10).every((s) => s === 0), 'a learnt cycle is never novel again')
  const lastNovel = scores.reduce((last, s, i) => (s > 0 ? i : last), -1)
  t.ok(lastNovel >= 2 && lastNovel < 10)
  // ...2, 3 then 1 forms the context (2, 3, 1), never met in the cycle.
  const row = values.length
  const gap = row - lastNovel
  t.ok(Math.abs(c.update(1) - gap / (gap + 10)) < 1e-12)
  t.equal(c.update(1), 0, 'dwelling on a level forms no new context')
})

t.test('learning rows and missing values score 0', async (t) => {
  const c = new ContextNovelty({ bins: 4, order: 1, gapSteps: 10 }, 4)
  // Levels 0, 3, 0, 3: pairs (0,3) and (3,0) are novel at rows 1 and 2 but still learning.
  t.same([0, 3, 0, 3].map((v) => c.update(v)), [0, 0, 0, 0])
  t.equal(c.update(NaN), 0)
  // Row 4: 1 is level 1 of [0, 3], so (3,1) is new; the previous novel pair was at row 2: gap 2 -> 2 / 12.
  t.ok(Math.abs(c.update(1) - 2 / 12) < 1e-12)
})

t.test('rejects degenerate options', async (t) => {
  t.throws(() => new ContextNovelty({ bins: 1, order: 1, gapSteps: 1 }, 0), RangeError)
  t.throws(() => new ContextNovelty({ bins: 4, order: 0, gapSteps: 1 }, 0), RangeError)
})

t.test('several resolutions score the largest of their single-resolution scores, row by row', async (t) => {
  const opts = { order: 2, gapSteps: 20 }
  const multi = new MultiResolutionContext({ ...opts, bins: [3, 5, 8] }, 5)
  const singles = [3, 5, 8].map((bins) => new ContextNovelty({ ...opts, bins }, 5))
  const values = Array.from({ length: 300 }, (_, i) => Math.sin(i / 7) * 10 + (i > 200 && i < 210 ? 4 : 0) + (i === 250 ? NaN : 0))
  let novel = 0
  for (const v of values) {
    const expected = Math.max(0, ...singles.map((c) => c.update(v)))
    const got = multi.update(v)
    t.equal(got, expected)
    if (got > 0) novel++
  }
  t.ok(novel > 0, 'the bump forms new contexts at some resolution')
})

t.test('one resolution behaves as ContextNovelty; no resolution is rejected', async (t) => {
  const multi = new MultiResolutionContext({ bins: [4], order: 2, gapSteps: 10 }, 0)
  const single = new ContextNovelty({ bins: 4, order: 2, gapSteps: 10 }, 0)
  for (const v of [0, 4, 1, 2, 3, 0, 1, 2, 3, 2, 0]) t.equal(multi.update(v), single.update(v))
  t.throws(() => new MultiResolutionContext({ bins: [], order: 2, gapSteps: 10 }, 0), RangeError)
  t.throws(() => new MultiResolutionContext({ bins: [4, 1], order: 2, gapSteps: 10 }, 0), RangeError)
})

t.test('with bounded memory a context not met for two periods is novel again, one met lately is not', async (t) => {
  const run = (forgetSteps: number | undefined): number[] => {
    const c = new ContextNovelty({ bins: 4, order: 1, gapSteps: 10, forgetSteps }, 0)
    // Levels 0, 3, 0, 3 (pairs (0,3), (3,0)), then 30 rows dwelling on level 0, then a (0,3) pair again.
    return [0, 3, 0, 3, ...new Array<number>(30).fill(0), 3].map((v) => c.update(v))
  }
  t.equal(run(undefined).at(-1), 0, 'remembered for ever')
  t.ok((run(10).at(-1) ?? 0) > 0, 'forgotten after two periods of 10 rows')
  t.equal(run(40).at(-1), 0, 'met within the period: still known')
  t.throws(() => new ContextNovelty({ bins: 4, order: 1, gapSteps: 10, forgetSteps: 0 }, 0), RangeError)
})

t.test('with a byte limit the large resolutions keep Bloom filters and score as the exact sets on few contexts', async (t) => {
  const opts = { order: 2, gapSteps: 50, bins: [4, 8, 32] }
  const exact = new MultiResolutionContext(opts, 10)
  const limited = new MultiResolutionContext({ ...opts, maxSetBytes: 512 }, 10)
  // Bitmaps: 4^3 and 8^3 bits (8 + 64 bytes) stay exact; 32^3 bits (4 KB) becomes a 512-byte filter.
  t.equal(exact.bytes, 8 + 64 + 4096)
  t.equal(limited.bytes, 8 + 64 + 512)
  const values = Array.from({ length: 2000 }, (_, i) => Math.sin(i / 9) * 10 + (i > 1500 && i < 1520 ? 7 : 0))
  let novel = 0
  for (const v of values) {
    const e = exact.update(v)
    t.equal(limited.update(v), e)
    if (e > 0) novel++
  }
  t.ok(novel > 0)
})

t.test('the flat multi-resolution state scores as one ContextNovelty per resolution, with filters and forgetting', async (t) => {
  const opts = { order: 2, gapSteps: 30, forgetSteps: 150, maxSetBytes: 64 }
  const bins = [4, 6, 16, 32]
  const multi = new MultiResolutionContext({ ...opts, bins }, 20)
  const singles = bins.map((b) => new ContextNovelty({ ...opts, bins: b }, 20))
  t.equal(multi.bytes, singles.reduce((n, c) => n + c.bytes, 0), 'the same bytes of sets (two generations each)')
  let x = 1
  let novel = 0
  for (let i = 0; i < 3000; i++) {
    // A seeded walk with a level shift: new paths keep coming at the fine resolutions, now and then at coarse ones.
    x = (x * 16807) % 2147483647
    const v = Math.sin(i / 17) * 5 + (x / 2147483647) * 2 + (i > 2000 ? 3 : 0)
    const expected = Math.max(0, ...singles.map((c) => c.update(v)))
    if (multi.update(v) !== expected) {
      t.fail(`row ${i}: ${multi.update(v)} against ${expected}`)
      return
    }
    if (expected > 0) novel++
  }
  t.ok(novel > 10, `novel paths scored (${novel})`)
})
