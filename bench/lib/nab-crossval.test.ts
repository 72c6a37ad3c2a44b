import t from 'tap'
import { alternateFolds, crossValidate } from './nab-crossval.js'
import { NAB_PROFILES, type DetectorFile } from './nab-scorer.js'

t.test('folds alternate over the sorted names', async (t) => {
  const [a, b] = alternateFolds(['d', 'b', 'a', 'c', 'e'])
  t.same([...a], ['a', 'c', 'e'])
  t.same([...b], ['b', 'd'])
})

/** One window at rows 40..49 of 100; the detector fires at `hit` (or nowhere). */
function file(name: string, hit: number | undefined): DetectorFile {
  const scores = new Float64Array(100)
  if (hit !== undefined) scores[hit] = 1
  return { name, scores, windows: [{ leftIndex: 40, rightIndex: 49 }] }
}

t.test('each fold is scored with the setting chosen on the other', async (t) => {
  // Setting 'x' catches the windows of a and c (fold A) only, 'y' those of b and d (fold B) only.
  const catches: Record<string, Set<string>> = { x: new Set(['a', 'c']), y: new Set(['b', 'd']) }
  const detect = (s: string): DetectorFile[] => ['a', 'b', 'c', 'd'].map((n) => file(n, catches[s]?.has(n) === true ? 40 : undefined))
  const cv = crossValidate(['x', 'y'], detect, NAB_PROFILES.standard)
  t.equal(cv.folds[0].chosen, 'x')
  t.equal(cv.folds[0].tunedScore, 100)
  t.equal(cv.folds[0].heldOutScore, 0)
  t.equal(cv.folds[1].chosen, 'y')
  t.equal(cv.folds[1].heldOutScore, 0)
  t.same(cv.pooled.map((f) => f.name).sort(), ['a', 'b', 'c', 'd'])
  t.ok(cv.pooled.every((f) => Array.prototype.every.call(f.scores, (v: number) => v === 0)), 'held-out files come from the other fold\'s setting')
})

t.test('ties keep the earlier setting', async (t) => {
  const cv = crossValidate(['first', 'second'], () => [file('a', 40), file('b', 40)], NAB_PROFILES.standard)
  t.equal(cv.folds[0].chosen, 'first')
  t.equal(cv.folds[1].chosen, 'first')
})

t.test('no settings is an error', async (t) => {
  t.throws(() => crossValidate([], () => [], NAB_PROFILES.standard), RangeError)
})
