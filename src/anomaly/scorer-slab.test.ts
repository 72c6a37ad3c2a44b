import t from 'tap'
import { withSlab } from '../util/slab.js'
import { AdaptiveState } from '../forecast/adaptive.js'
import { DEFAULT_SCORER, OnlineAnomalyScorer } from './scorer.js'
import { buffersOf } from '../../test/helpers/buffers.js'

t.test('made inside withSlab, a scorer and an adaptation state each sit on one buffer', async (t) => {
  // The first of each kind is measured and keeps separate buffers.
  withSlab('scorer', () => new OnlineAnomalyScorer(DEFAULT_SCORER))
  withSlab('adaptive', () => new AdaptiveState())
  const plain = buffersOf(new OnlineAnomalyScorer(DEFAULT_SCORER))
  t.ok(plain.size > 5, `made outside a slab a scorer has ${plain.size} buffers`)
  t.equal(buffersOf(withSlab('scorer', () => new OnlineAnomalyScorer(DEFAULT_SCORER))).size, 1)
  t.equal(buffersOf(withSlab('adaptive', () => new AdaptiveState())).size, 1)
})

t.test('a scorer on one buffer scores exactly as one with a buffer per array', async (t) => {
  withSlab('scorer', () => new OnlineAnomalyScorer(DEFAULT_SCORER))
  const carved = withSlab('scorer', () => new OnlineAnomalyScorer(DEFAULT_SCORER))
  const plain = new OnlineAnomalyScorer(DEFAULT_SCORER)
  // A load with a daily-like cycle, noise from a fixed generator, a level shift and a spike: every component moves.
  let seed = 7
  const noise = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5 }
  let differing = 0
  for (let i = 0; i < 3000; i++) {
    const level = 100 + 40 * Math.sin((2 * Math.PI * i) / 288) + (i > 2000 ? 60 : 0)
    const actual = i === 2500 ? level * 4 : level + 10 * noise()
    for (const s of [carved, plain]) s.expect(level - 15, level, level + 15)
    if (!Object.is(carved.score(actual), plain.score(actual))) differing++
  }
  t.equal(differing, 0, 'the same score at every one of 3,000 steps')
})
