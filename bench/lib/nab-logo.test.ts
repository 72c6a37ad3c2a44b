import t from 'tap'
import { groupOf, logoEvaluate, logoGrid, logoGridByFold } from './nab-logo.js'
import { NAB_PROFILES, type DetectorFile } from './nab-scorer.js'

const profiles = new Map([['standard', NAB_PROFILES.standard]])

/** Group c's window sits at rows 70-79, the others' at 40-49; setting x fires at row 40 everywhere, y where a and c's windows start. */
function detect(setting: 'x' | 'y'): DetectorFile[] {
  return ['a', 'b', 'c'].map((g) => {
    const scores = new Float64Array(100)
    const fire = setting === 'x' ? 40 : g === 'a' ? 40 : g === 'c' ? 70 : -1
    if (fire >= 0) scores[fire] = 1
    const window = g === 'c' ? { leftIndex: 70, rightIndex: 79 } : { leftIndex: 40, rightIndex: 49 }
    return { name: `${g}/f.csv`, scores, windows: [window] }
  })
}

t.test('groupOf reads the directory part of a corpus name', async (t) => {
  t.equal(groupOf('realKnownCause/nyc_taxi.csv'), 'realKnownCause')
  t.equal(groupOf('flat.csv'), '')
})

t.test('each group is scored with the setting chosen on the others, and can fail', async (t) => {
  const grid = logoGrid(['x', 'y'] as const, detect, NAB_PROFILES.standard)
  t.same(grid.groups, ['a', 'b', 'c'])
  const r = logoEvaluate(grid, () => true, detect, profiles)
  // Left-out a: y on {b,c} (c caught, b missed) beats x (b caught, c missed plus a false positive).
  // Left-out b: y catches both a and c. Left-out c: x catches a and b, y only a.
  t.same(r.groups.map((g) => [g.group, g.chosen]), [['a', 'y'], ['b', 'y'], ['c', 'x']])
  t.same(r.groups.map((g) => g.heldOut.get('standard')?.swept), [100, 0, 0])
  // Pooled: a caught (+1), b missed (-1), c missed (-1) with one false positive before its window (-0.11).
  const pooled = r.pooled.get('standard')
  t.ok(pooled !== undefined && Math.abs(pooled.swept - (100 * (1 - 1 - 1 - 0.11 + 3)) / 6) < 1e-9)
  // x alone: the in-sample choice everywhere; c still fails.
  const onlyX = logoEvaluate(grid, (s) => s === 'x', detect, profiles)
  t.same(onlyX.groups.map((g) => g.heldOut.get('standard')?.swept), [100, 100, 0])
})

t.test('the fixed score uses the training groups\' threshold', async (t) => {
  // Scores of 0.5 on the held-out group's window but 1 on the training groups': the training threshold (1) misses it.
  const d = (): DetectorFile[] =>
    ['a', 'b'].map((g) => {
      const scores = new Float64Array(100)
      scores[40] = g === 'a' ? 1 : 0.5
      scores[20] = g === 'a' ? 0.6 : 0
      return { name: `${g}/f.csv`, scores, windows: [{ leftIndex: 40, rightIndex: 49 }] }
    })
  const r = logoEvaluate(logoGrid([0], d, NAB_PROFILES.standard), () => true, d, profiles)
  const b = r.groups.find((g) => g.group === 'b')?.heldOut.get('standard')
  t.equal(b?.swept, 100)
  t.equal(b?.fixed, 0)
})

t.test('rejects an empty grid and a single group', async (t) => {
  t.throws(() => logoGrid([], detect, NAB_PROFILES.standard), RangeError)
  t.throws(() => logoGrid([0], () => [{ name: 'a/f.csv', scores: new Float64Array(10), windows: [] }], NAB_PROFILES.standard), RangeError)
})

t.test('with a detector per fold, each fold chooses and is scored with its own', async (t) => {
  // Fold a's detector is detect() above; folds b and c have one that fires nowhere but at c's window (row 70).
  const calls: string[] = []
  const byFold = (setting: 'x' | 'y', heldOut: string): DetectorFile[] => {
    calls.push(`${setting}${heldOut}`)
    if (heldOut === 'a') return detect(setting)
    return ['a', 'b', 'c'].map((g) => {
      const scores = new Float64Array(100)
      if (g === 'c') scores[70] = 1
      const window = g === 'c' ? { leftIndex: 70, rightIndex: 79 } : { leftIndex: 40, rightIndex: 49 }
      return { name: `${g}/f.csv`, scores, windows: [window] }
    })
  }
  const grid = logoGridByFold(['x', 'y'] as const, ['c', 'b', 'a', 'b'], byFold, NAB_PROFILES.standard)
  t.same(grid.groups, ['a', 'b', 'c'])
  t.same(calls, ['xa', 'xb', 'xc', 'ya', 'yb', 'yc'])
  // Fold a as in the single-detector case (y). Folds b and c: both settings tie, the earlier (x) is kept.
  const r = logoEvaluate(grid, () => true, byFold, profiles)
  t.same(r.groups.map((g) => [g.group, g.chosen]), [['a', 'y'], ['b', 'x'], ['c', 'x']])
  // Held out with the fold's own detector: b missed (its detector fires only in c), c caught; with detect() for
  // every fold c would have been missed under x (see above).
  t.same(r.groups.map((g) => g.heldOut.get('standard')?.swept), [100, 0, 100])
  t.throws(() => logoGridByFold(['x'], ['a'], byFold, NAB_PROFILES.standard), RangeError)
  t.throws(() => logoGridByFold([], ['a', 'b'], byFold, NAB_PROFILES.standard), RangeError)
  t.throws(() => logoGridByFold(['x'], ['a', 'b'], () => [], NAB_PROFILES.standard), /fold a: the detector returned no file of the other groups/)
})
