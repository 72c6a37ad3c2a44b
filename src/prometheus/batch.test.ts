import t from 'tap'
import { escapeRegex, parseSimpleQuery, planQueries, shapeKey, splitGrouped } from './batch.js'
import { ExtraSeriesError, MissingSeriesError } from './errors.js'
import type { RawSeries } from './parse.js'

const q = (ns: string, svc: string, extra = ''): string => `sum(rate(http_requests_total{namespace="${ns}",service="${svc}"${extra}}[5m]))`

t.test('parseSimpleQuery accepts only AGG(FN(metric{matchers}[w]))', async (t) => {
  const cases: Array<[string, boolean]> = [
    [q('a', 'x'), true],
    ['sum ( rate ( up { job = "a" , } [ 1m ] ) )', true],
    ['avg(irate(up{job="a",code!="500",path=~"/api.*"}[30s]))', true],
    ['max(increase(up[5m]))', true],
    ['sum(rate(up{job="a\\"b"}[5m]))', true],
    ['sum by (job) (rate(up{job="a"}[5m]))', false],
    ['sum(rate(up{job="a"}[5m] offset 1h))', false],
    ['sum(rate(up{job="a"}[5m])) * 2', false],
    ['topk(3, rate(up{job="a"}[5m]))', false],
    ['sum(delta(up{job="a"}[5m]))', false],
    ['sum(rate(up{job=\'a\'}[5m]))', false],
    ['sum(rate(up{job="a",job="b"}[5m]))', false],
    ['sum(rate({__name__="up"}[5m]))', false],
    ['sum(rate(up{job="}"}[5m]))', false],
    ['sum(rate(up{job="a"}[5m:1m]))', false],
    ['rate(up{job="a"}[5m])', false],
  ]
  for (const [query, simple] of cases) t.equal(parseSimpleQuery(query) !== undefined, simple, query)
  t.same(parseSimpleQuery('avg(irate(up{job="a",code!="500"}[30s]))'), {
    aggregation: 'avg', fn: 'irate', metric: 'up', window: '30s',
    matchers: [{ name: 'job', op: '=', value: 'a' }, { name: 'code', op: '!=', value: '500' }],
  })
})

t.test('shapeKey: same shape iff only equality values differ', async (t) => {
  const key = (s: string): string => {
    const p = parseSimpleQuery(s)
    if (p === undefined) throw new Error(s)
    return shapeKey(p)
  }
  const cases: Array<[string, string, boolean]> = [
    [q('a', 'x'), q('b', 'y'), true],
    [q('a', 'x'), 'sum(rate(http_requests_total{service="y",namespace="b"}[5m]))', true],
    [q('a', 'x'), q('a', 'x').replace('5m', '1m'), false],
    [q('a', 'x'), q('a', 'x').replace('sum', 'avg'), false],
    [q('a', 'x'), q('a', 'x').replace('rate', 'irate'), false],
    [q('a', 'x'), q('a', 'x').replace('http_requests_total', 'other_total'), false],
    [q('a', 'x', ',code!="500"'), q('b', 'y', ',code!="500"'), true],
    [q('a', 'x', ',code!="500"'), q('b', 'y', ',code!="404"'), false],
    [q('a', 'x'), 'sum(rate(http_requests_total{namespace="a"}[5m]))', false],
  ]
  for (const [a, b, same] of cases) t.equal(key(a) === key(b), same, `${a} vs ${b}`)
})

t.test('escapeRegex', async (t) => {
  t.equal(escapeRegex('a.b|c*(d)[e]{f}^$+?\\'), 'a\\.b\\|c\\*\\(d\\)\\[e\\]\\{f\\}\\^\\$\\+\\?\\\\')
  t.equal(escapeRegex('web-1'), 'web-1')
})

t.test('planQueries', async (t) => {
  const plans = planQueries([
    { key: 'a/p1', query: q('a', 'x') },
    { key: 'b/p2', query: q('b', 'y') },
    { key: 'a/p3', query: q('a', 'z.z') },
    { key: 'a/p4', query: q('a', 'x') },
    { key: 'c/p5', query: 'sum(rate(other_total{job="j"}[5m]))' },
    { key: 'c/p6', query: 'histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))' },
  ])
  t.equal(plans.length, 3)
  const grouped = plans.find((p) => p.grouped)
  t.equal(grouped?.query, 'sum by (namespace, service) (rate(http_requests_total{namespace=~"a|b",service=~"x|y|z\\\\.z"}[5m]))')
  t.same(grouped?.members, [
    { key: 'a/p1', match: { namespace: 'a', service: 'x' } },
    { key: 'a/p4', match: { namespace: 'a', service: 'x' } },
    { key: 'b/p2', match: { namespace: 'b', service: 'y' } },
    { key: 'a/p3', match: { namespace: 'a', service: 'z.z' } },
  ])
  t.same(plans.filter((p) => !p.grouped).map((p) => [p.query, p.members.map((m) => m.key)]), [
    ['histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))', ['c/p6']],
    ['sum(rate(other_total{job="j"}[5m]))', ['c/p5']],
  ])

  const constant = planQueries([{ key: '1', query: q('a', 'x') }, { key: '2', query: q('a', 'y') }])
  t.equal(constant[0]?.query, 'sum by (service) (rate(http_requests_total{namespace="a",service=~"x|y"}[5m]))', 'labels equal in all members stay equality matchers')

  const chunked = planQueries(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, query: q('a', `s${i}`) })), 2)
  t.same(chunked.map((p) => p.members.length), [2, 2, 1], 'groups are capped')
  t.same(chunked.map((p) => p.grouped), [true, true, false])
})

t.test('splitGrouped', async (t) => {
  const [plan] = planQueries([{ key: 'p1', query: q('a', 'x') }, { key: 'p2', query: q('b', 'y') }, { key: 'p3', query: q('c', 'z') }])
  if (plan === undefined) throw new Error('no plan')
  const s = (ns: string, svc: string): RawSeries => ({ labels: { namespace: ns, service: svc }, timestampsMs: new Float64Array(1), values: Float64Array.of(ns.length) })
  const ax = s('a', 'x')
  const by = s('b', 'y')
  const split = splitGrouped([ax, s('a', 'y'), by, s('b', 'x')], plan, (k) => `query of ${k}`)
  t.equal(split.get('p1'), ax, 'cross-product groups the regexes admit are ignored')
  t.equal(split.get('p2'), by)
  t.type(split.get('p3'), MissingSeriesError)
  t.match((split.get('p3') as Error).message, /no series for "query of p3"/)
  const dup = splitGrouped([ax, ax], plan, (k) => k)
  t.type(dup.get('p1'), ExtraSeriesError)
})
