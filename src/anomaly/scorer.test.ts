import t from 'tap'
import type { LikelihoodOptions } from './likelihood.js'
import { OnlineAnomalyScorer } from './scorer.js'

const close = (a: number, b: number, tol = 1e-6): boolean => Math.abs(a - b) <= tol

const opts: LikelihoodOptions = { learningSteps: 50, averagingSteps: 10, historySteps: 1000, reestimateEverySteps: 20, minStd: 0.02, warmupScore: 0 }

t.test('scores depend on the past only', async (t) => {
  const run = (tail: number): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05 })
    const out: number[] = []
    for (let i = 0; i < 120; i++) {
      const actual = i < 100 ? 10 + (i % 3) : tail
      out.push(s.score(actual))
      s.expect(9, 11, 13)
    }
    return out
  }
  const a = run(10)
  const b = run(1000)
  t.same(a.slice(0, 100), b.slice(0, 100))
  t.not(a[100], b[100], 'the differing row itself does change')
})

t.test('rows without a forecast or with a missing actual score 0', async (t) => {
  const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: undefined })
  t.equal(s.score(5), 0)
  s.expect(1, 2, 3)
  t.equal(s.score(NaN), 0)
})

t.test('a value beyond the seen range scores 1 once learning is over', async (t) => {
  const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05 })
  for (let i = 0; i < 60; i++) s.score(i % 2 === 0 ? 0 : 10)
  // Range [0, 10], slack 0.5: 10.4 is inside and widens the range to [0, 10.4] (slack 0.52), so 10.9 is inside
  // and 11.5 outside.
  t.ok(s.score(10.4) < 1)
  t.ok(s.score(10.9) < 1)
  t.equal(s.score(11.5), 1)
  const off = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: undefined })
  for (let i = 0; i < 60; i++) off.score(i % 2 === 0 ? 0 : 10)
  t.equal(off.score(100), 0, 'range check off and no forecast: nothing to score')
})

t.test('suppression keeps the first of consecutive fires', async (t) => {
  const run = (suppressSteps: number): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, suppressSteps })
    for (let i = 0; i < 60; i++) s.score(i % 2 === 0 ? 0 : 10)
    // Two new extremes in a row: each alone would score 1.
    return [s.score(20), s.score(30)]
  }
  t.same(run(0), [1, 1])
  t.same(run(10), [1, 0])
})

t.test('a new high inside the range slack scores through the extreme record', async (t) => {
  const run = (withExtremes: boolean): number => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, extremes: withExtremes ? { gapSteps: 60, maxScore: 0.8 } : undefined })
    for (let i = 0; i < 120; i++) s.score(i % 2 === 0 ? 0 : 10)
    // 10.3 is inside the range slack (10.5), a new high 119 rows after the last one (row 1): 0.8 * 119 / 179.
    return s.score(10.3)
  }
  t.equal(run(false), 0)
  t.ok(close(run(true), (0.8 * 119) / 179, 1e-12))
})

t.test('a value stuck for longer than ever scores through the flat-run record, once', async (t) => {
  const run = (withFlat: boolean): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, flatRun: withFlat ? { minSteps: 20, maxScore: 0.9 } : undefined })
    for (let i = 0; i < 120; i++) s.score(i % 2 === 0 ? 0 : 10)
    // Stuck at 5 (inside the range, no forecast): the 20th repeat is row 20 of the run.
    return Array.from({ length: 40 }, () => s.score(5))
  }
  t.same(run(false), new Array(40).fill(0))
  const on = run(true)
  t.equal(on[20], 0.9)
  t.equal(on.filter((x) => x > 0).length, 1)
})

t.test('the cause names the check that gave the score', async (t) => {
  const scorer = (): OnlineAnomalyScorer => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, extremes: { gapSteps: 60, maxScore: 0.8 }, flatRun: { minSteps: 20, maxScore: 0.9 } })
    for (let i = 0; i < 120; i++) s.score(i % 2 === 0 ? 0 : 10)
    return s
  }
  const cases: Array<[string, (s: OnlineAnomalyScorer) => number, string]> = [
    ['beyond the seen range', (s) => s.score(100), 'new-range'],
    ['a new high inside the range slack', (s) => s.score(10.3), 'new-extreme'],
    ['stuck longer than ever', (s) => Math.max(...Array.from({ length: 21 }, () => s.score(5))), 'flat-run'],
    ['nothing unusual: the forecast is the default', (s) => s.score(0), 'forecast-surprise'],
  ]
  for (const [name, act, want] of cases) {
    const s = scorer()
    const score = act(s)
    t.equal(s.cause, want, `${name} (score ${score})`)
    if (want !== 'forecast-surprise') t.ok(score > 0, `${name}: scored`)
  }
  // A big miss of the forecast, inside the range: the forecast's cause.
  const f = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: 0.05, errorRecord: { averagingSteps: 1, historySteps: 100 } })
  for (let i = 0; i < 120; i++) { f.score(i % 2 === 0 ? 0 : 10); f.expect(4, 5, 6) }
  f.expect(0, 0.1, 0.2)
  t.ok(f.score(9) > 0)
  t.equal(f.cause, 'forecast-surprise')
})

t.test('several likelihood spans score the largest of the single-span scores', async (t) => {
  const values = Array.from({ length: 400 }, (_, i) => 10 + Math.sin(i / 5) + (i > 300 && i < 340 ? 3 : 0))
  const run = (o: Partial<ConstructorParameters<typeof OnlineAnomalyScorer>[0]>): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: opts, rangeTolerance: undefined, ...o })
    return values.map((v) => {
      const r = s.score(v)
      s.expect(9, 10, 11)
      return r
    })
  }
  const both = run({ likelihoodSpans: [5, 30] })
  const short = run({ likelihood: { ...opts, averagingSteps: 5 } })
  const long = run({ likelihood: { ...opts, averagingSteps: 30 } })
  t.same(both, short.map((x, i) => Math.max(x, long[i] ?? 0)))
  t.ok(both.some((x) => x > 0), 'the sustained miss scores')
  t.same(run({ scoreLikelihood: false }), new Array(400).fill(0), 'likelihood off: nothing else is on')
})

t.test("fusion 'or' raises a row both the forecast and the context find unusual above the larger of the two", async (t) => {
  const run = (fusion: 'max' | 'or'): number[] => {
    const s = new OnlineAnomalyScorer({ likelihood: { ...opts, learningSteps: 20 }, rangeTolerance: undefined, context: { bins: [4], order: 1, gapSteps: 5 }, fusion })
    const out: number[] = []
    // A steady two-level cycle, then a step to a middle level the forecast did not expect: a new pair of levels
    // and a large miss on the same row.
    for (let i = 0; i < 80; i++) {
      const v = i < 79 ? (i % 2 === 0 ? 0 : 10) : 4
      out.push(s.score(v))
      s.expect(i % 2 === 0 ? 9 : -1, i % 2 === 0 ? 10 : 0, i % 2 === 0 ? 11 : 1)
    }
    return out
  }
  const max = run('max')
  const or = run('or')
  t.same(or.slice(0, 79), max.slice(0, 79), 'rows where at most one fires are unchanged')
  t.ok((max[79] ?? 0) > 0)
  t.ok((or[79] ?? 0) > (max[79] ?? 0))
})
