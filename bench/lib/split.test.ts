import t from 'tap'
import { join } from 'node:path'
import { heldoutFor, loadSplit } from './split.js'
import { repoRoot } from './traces.js'

t.test('split file entries and the 20% fallback', async (t) => {
  const split = loadSplit(join(repoRoot(), 'test', 'fixtures', 'foresight-data', 'split.json'))
  const e = heldoutFor(split, 'nab/data/grp/tiny.csv', 6, 300)
  t.equal(e.fallback, false)
  t.equal(e.heldoutStartIndex, 4)
  t.equal(e.periodDaySteps, 288)
  t.equal(e.whollyHeldout, true, 'listed in wholly_heldout_files')
  const f = heldoutFor(split, 'other.csv', 1000, 1800)
  t.equal(f.fallback, true)
  t.equal(f.heldoutStartIndex, 800)
  t.equal(f.periodDaySteps, 48)
  t.equal(loadSplit(join(repoRoot(), 'no-such-split.json')), undefined)
})
