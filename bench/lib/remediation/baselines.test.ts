import t from 'tap'
import { consecutiveAfter, eject, ENVOY_DEFAULTS, FRESH_HOST, intervalTick, livenessProbe, maxEjected, probeFailureProbability, staticThresholdCheck } from './baselines.js'

t.test('static threshold: restarts a pod only after its error ratio stayed at or above the line for `for`', async (t) => {
  const o = { threshold: 0.05, forMs: 60_000 }
  const rows: Array<{ name: string; state: Array<[string, number]>; ratios: Array<[string, number]>; now: number; restart: string[]; kept: string[] }> = [
    { name: 'first time above: remembered, not restarted', state: [], ratios: [['a', 0.2], ['b', 0.01]], now: 0, restart: [], kept: ['a'] },
    { name: 'above for less than for', state: [['a', 0]], ratios: [['a', 0.2]], now: 45_000, restart: [], kept: ['a'] },
    { name: 'above for exactly for', state: [['a', 0]], ratios: [['a', 0.05]], now: 60_000, restart: ['a'], kept: [] },
    { name: 'dipped below: starts over', state: [['a', 0]], ratios: [['a', 0.049]], now: 60_000, restart: [], kept: [] },
    { name: 'no data: starts over', state: [['a', 0]], ratios: [], now: 60_000, restart: [], kept: [] },
    { name: 'every pod above: every pod restarted (it has no notion of siblings)', state: [['a', 0], ['b', 0], ['c', 0]], ratios: [['c', 1], ['a', 1], ['b', 1]], now: 90_000, restart: ['a', 'b', 'c'], kept: [] },
    { name: 'NaN is not above', state: [['a', 0]], ratios: [['a', Number.NaN]], now: 90_000, restart: [], kept: [] },
  ]
  for (const r of rows) {
    const out = staticThresholdCheck(new Map(r.state), new Map(r.ratios), r.now, o)
    t.same(out.restart, r.restart, `${r.name}: restarts`)
    t.same([...out.state.keys()], r.kept, `${r.name}: state`)
  }
})

t.test('consecutive 5xx: counts 5xx in a row across batches, a success resets', async (t) => {
  const gaps = (xs: number[]) => (i: number): number => xs[i] ?? Number.POSITIVE_INFINITY
  const o = { consecutive5xx: 5 }
  const rows: Array<{ name: string; start: number; n: number; g: number[]; want: { consecutive: number; tripped: boolean } }> = [
    { name: 'no 5xx', start: 0, n: 100, g: [], want: { consecutive: 0, tripped: false } },
    { name: 'five in a row at the start', start: 0, n: 100, g: [0, 0, 0, 0, 0], want: { consecutive: 5, tripped: true } },
    { name: 'four, a success, one (the batch ends there)', start: 0, n: 6, g: [0, 0, 0, 0, 1], want: { consecutive: 1, tripped: false } },
    { name: 'streak carried from the last batch', start: 3, n: 10, g: [0, 0], want: { consecutive: 5, tripped: true } },
    { name: 'carried streak broken by an early success', start: 4, n: 2, g: [1], want: { consecutive: 1, tripped: false } },
    { name: 'successes after the last 5xx end the streak', start: 0, n: 100, g: [0, 0, 0, 0, 1], want: { consecutive: 0, tripped: false } },
    { name: 'batch ends on 5xx: the streak carries on', start: 0, n: 3, g: [0, 0, 0], want: { consecutive: 3, tripped: false } },
    { name: 'batch ends with successes: the streak is gone', start: 2, n: 3, g: [0, 5], want: { consecutive: 0, tripped: false } },
    { name: 'empty batch keeps the streak', start: 4, n: 0, g: [0], want: { consecutive: 4, tripped: false } },
  ]
  for (const r of rows) t.same(consecutiveAfter(r.start, r.n, gaps(r.g), o), r.want, r.name)
})

t.test('ejection cap: max_ejection_percent of the hosts, at least one', async (t) => {
  const rows: Array<[number, number]> = [[1, 1], [3, 1], [10, 1], [11, 2], [25, 3], [50, 5]]
  for (const [hosts, want] of rows) t.equal(maxEjected(hosts, ENVOY_DEFAULTS), want, `${hosts} hosts`)
})

t.test('ejection: base time times the ejections, capped; refused at the cap', async (t) => {
  const first = eject(FRESH_HOST, 0, 10, 1000, ENVOY_DEFAULTS)
  t.ok(first.ejected)
  t.equal(first.host.ejectedUntilMs, 31_000)
  const second = eject({ ...first.host, ejectedUntilMs: 0 }, 0, 10, 100_000, ENVOY_DEFAULTS)
  t.equal(second.host.ejectedUntilMs, 160_000, 'second ejection lasts 2 x 30 s')
  const many = eject({ consecutive: 5, ejectedUntilMs: 0, ejections: 20 }, 0, 10, 0, ENVOY_DEFAULTS)
  t.equal(many.host.ejectedUntilMs, 300_000, 'max_ejection_time')
  const capped = eject({ consecutive: 5, ejectedUntilMs: 0, ejections: 0 }, 1, 10, 0, ENVOY_DEFAULTS)
  t.notOk(capped.ejected, 'one of ten already ejected: 10 % reached')
  t.equal(capped.host.consecutive, 0)
})

t.test('interval: returns ejected hosts when their time is up, decays the multiplier of hosts in service', async (t) => {
  t.same(intervalTick({ consecutive: 0, ejectedUntilMs: 50, ejections: 2 }, 40), { consecutive: 0, ejectedUntilMs: 50, ejections: 2 }, 'still ejected')
  t.same(intervalTick({ consecutive: 3, ejectedUntilMs: 50, ejections: 2 }, 50), { consecutive: 0, ejectedUntilMs: 0, ejections: 2 }, 'back')
  t.same(intervalTick({ consecutive: 1, ejectedUntilMs: 0, ejections: 2 }, 60), { consecutive: 1, ejectedUntilMs: 0, ejections: 1 }, 'decay')
  t.same(intervalTick(FRESH_HOST, 60), FRESH_HOST)
})

t.test('liveness: restart after failureThreshold failures in a row', async (t) => {
  const o = { failureThreshold: 3 }
  let f = 0
  const seq: boolean[] = [true, true, false, true, true, true]
  const restarts: number[] = []
  seq.forEach((failed, i) => {
    const r = livenessProbe(f, failed, o)
    f = r.failures
    if (r.restart) restarts.push(i)
  })
  t.same(restarts, [5], 'a success in between resets the count')
  t.equal(f, 0, 'the count starts over after a restart')
})

t.test('probe failure probability: fails with the pod, or by timing out', async (t) => {
  t.equal(probeFailureProbability(0, 0, 1), 0)
  t.equal(probeFailureProbability(1, 0.1, 1), 1)
  t.ok(probeFailureProbability(0, 0.1, 1) < 1e-4, 'fast pod: practically never times out')
  t.ok(Math.abs(probeFailureProbability(0, 1, 1) - Math.exp(-1)) < 1e-12, 'mean latency at the timeout')
  t.ok(probeFailureProbability(0.5, 1, 1) > 0.5)
})
