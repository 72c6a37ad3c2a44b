import t from 'tap'
import { MultiResolutionContext } from '../../src/anomaly/context-novelty.js'
import { describeSetting, detectorGrid, scorerOptions } from './nab-grid.js'

t.test('the grid has every component off or in each variant, simpler settings first', async (t) => {
  const grid = detectorGrid(['range', 'context'])
  // range: off or on; context: off or five variants; two learning periods.
  t.equal(grid.length, 2 * 6 * 2)
  t.equal(grid[0]?.on.size, 0)
  t.ok(grid.every((s, i) => i === 0 || (grid[i - 1]?.on.size ?? 0) <= s.on.size))
  const labels = new Set(grid.map(describeSetting))
  t.equal(labels.size, grid.length, 'every setting is distinct')
  t.ok(labels.has('range novelty, contextual novelty (paths of 3, 4-32 levels, 1.9 KB); learning 300'))
})

t.test('each context variant states the bytes its sets hold', async (t) => {
  for (const s of detectorGrid(['context'])) {
    const label = s.on.get('context')
    const c = s.opts.context
    if (label === undefined || c === undefined) continue
    const kb = Number(/([\d.]+) KB$/.exec(label)?.[1])
    t.equal(Math.round(new MultiResolutionContext(c, 0).bytes / 100) / 10, kb, label)
  }
})

t.test('a component off leaves its check out of the options', async (t) => {
  const off = scorerOptions(new Map(), 300)
  t.equal(off.scoreLikelihood, false)
  t.equal(off.rangeTolerance, undefined)
  t.equal(off.context, undefined)
  t.equal(off.likelihood.learningSteps, 300)
  const on = scorerOptions(new Map([['likelihood', 'averaged over 30 rows'], ['suppression', '']]), 120)
  t.same(on.likelihoodSpans, [30])
  t.equal(on.suppressSteps, 200)
  t.throws(() => scorerOptions(new Map([['context', 'nope']]), 120), RangeError)
})
