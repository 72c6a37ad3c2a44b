import t from 'tap'
import { neighbourEstimate, noiseFloorMase } from './noise-floor.js'

t.test('neighbour estimate leaves the row itself out and sees both sides', async (t) => {
  const xs = [1, 2, 100, 4, 5]
  t.equal(neighbourEstimate(xs, 2, 2, 'mean'), 3)
  t.equal(neighbourEstimate(xs, 2, 2, 'median'), 3)
  // At the edge only one side exists: rows 1 and 2 -> mean 51, median 51.
  t.equal(neighbourEstimate(xs, 0, 2, 'mean'), 51)
  // Invalid and non-finite rows are skipped; fewer than radius neighbours -> NaN.
  t.equal(neighbourEstimate([1, NaN, 9, 3, 5], 2, 2, 'median', [1, 1, 1, 0, 1]), 3)
  t.ok(Number.isNaN(neighbourEstimate([NaN, NaN, 9, NaN, 7], 2, 2, 'mean')))
})

t.test('noise floor is zero on a straight line and positive on alternating noise', async (t) => {
  const line = Array.from({ length: 20 }, (_, i) => 3 * i)
  t.equal(noiseFloorMase(line, [5, 6, 7, 8], 1, 2, 'mean'), 0)
  const zigzag = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 10 : 0))
  // Row 6 (10): neighbours 4,5,7,8 -> 10,0,0,10, mean 5, error 5; scale 10 -> 0.5.
  t.equal(noiseFloorMase(zigzag, [6], 10, 2, 'mean'), 0.5)
  t.ok(Number.isNaN(noiseFloorMase(line, [], 1, 2, 'mean')))
})

t.test('a gap skips the rows next to the target on both sides', async (t) => {
  const xs = [1, 2, 3, 100, 5, 6, 7]
  // Gap 2, radius 2: rows 1-2 away are skipped, rows 2-3 away used -> 1, 2, 6, 7 (row 3 +/- 1 left out).
  t.equal(neighbourEstimate(xs, 3, 2, 'mean', undefined, 2), 4)
  // Gap 1 is the plain reference.
  t.equal(neighbourEstimate(xs, 3, 2, 'mean', undefined, 1), neighbourEstimate(xs, 3, 2, 'mean'))
  // Noise shared by adjacent rows: pairs (10,10),(0,0),... The plain radius-1 reference always has the target's
  // twin among its two rows (error 5); skipping the nearest rows leaves only opposite values (error 10).
  const pairs = Array.from({ length: 40 }, (_, i) => (Math.floor(i / 2) % 2 === 0 ? 10 : 0))
  const rows = Array.from({ length: 20 }, (_, i) => i + 10)
  const plain = noiseFloorMase(pairs, rows, 10, 1, 'median')
  const gapped = noiseFloorMase(pairs, rows, 10, 1, 'median', undefined, 2)
  t.equal(plain, 0.5)
  t.equal(gapped, 1)
  // Fewer than radius rows beyond the gap -> NaN.
  t.ok(Number.isNaN(neighbourEstimate([1, 2, 3], 1, 2, 'mean', undefined, 2)))
})
