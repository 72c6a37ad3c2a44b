import t from 'tap'
import { LastValue } from '../../src/forecast/baselines.js'
import { ResidualQuantiles, empiricalQuantile } from './residual-quantiles.js'

t.test('empirical quantile interpolates', async (t) => {
  t.equal(empiricalQuantile([1, 2, 3, 4], 0.5), 2.5)
  t.equal(empiricalQuantile([1, 2, 3, 4], 0), 1)
  t.equal(empiricalQuantile([1, 2, 3, 4], 1), 4)
})

t.test('bands come from realised errors of the same horizon', async (t) => {
  const f = new ResidualQuantiles(new LastValue(), [1, 2], 288)
  // 0,10,0,10,...: one-step errors are +10 (10 times) and -10 (9 times); two-step errors are all 0.
  for (let i = 0; i < 20; i++) f.observe(i % 2 === 0 ? 0 : 10)
  t.same(f.quantiles(0), [0, 10, 20])
  t.same(f.quantiles(1), [10, 10, 10])
})

t.test('degenerate interval before ten errors', async (t) => {
  const f = new ResidualQuantiles(new LastValue(), [1])
  for (let i = 0; i < 5; i++) f.observe(i)
  t.same(f.quantiles(0), [4, 4, 4])
})
