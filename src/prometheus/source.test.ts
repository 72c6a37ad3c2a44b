import { pino } from 'pino'
import t from 'tap'
import { policySchema, type Policy } from '../policy/schema.js'
import { PrometheusQueryError, PrometheusUnavailableError } from './errors.js'
import type { RawSeries } from './parse.js'
import type { Querier } from './resilient.js'
import { PrometheusSource, type FetchRange } from './source.js'

const log = pino({ level: 'silent' })
const RANGE: FetchRange = { startMs: 600_000, endMs: 780_000, stepSeconds: 60 }

function policy(name: string, query: string, podSignals?: Record<string, string>): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace: 'ns' },
    spec: { scaleTargetRef: { name }, load: { query, capacityPerReplica: 1 }, maxReplicas: 3, ...(podSignals !== undefined ? { podSignals } : {}) },
  })
}

const series = (labels: Record<string, string>, v: number): RawSeries => ({
  labels,
  timestampsMs: Float64Array.of(600_000, 660_000, 780_000),
  values: Float64Array.of(v, v + 1, v + 3),
})

/** A querier that answers from a table of query -> series (or error), and records what it was asked. */
function fake(answers: Record<string, RawSeries[] | Error>): Querier & { asked: string[] } {
  const asked: string[] = []
  return {
    endpoint: 'http://prom',
    asked,
    breakerState: () => 'closed',
    queryRange: async (query) => {
      asked.push(query)
      const a = answers[query]
      if (a === undefined) return []
      if (a instanceof Error) throw a
      return a
    },
  }
}

t.test('fetchLoadHistory: each policy gets its own result; nothing throws', async (t) => {
  const q = fake({
    'sum(a)': [series({}, 1)],
    'sum(b)': new PrometheusUnavailableError('down', 503),
    'sum(c)': new PrometheusQueryError('bad', 400),
    'sum(d)': [series({ x: '1' }, 1), series({ x: '2' }, 2)],
    'sum(e)': new TypeError('bug'),
  })
  const src = new PrometheusSource({ querier: q, log })
  const res = await src.fetchLoadHistory(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => policy(n, `sum(${n})`)), RANGE)
  const a = res.get('ns/a')
  t.ok(a?.ok)
  if (a?.ok === true) {
    t.same([...a.window.values].map((v) => (Number.isNaN(v) ? null : v)), [1, 2, null, 4])
    t.equal(a.window.startMs, 600_000)
    t.equal(a.window.stepMs, 60_000)
  }
  const kinds = Object.fromEntries([...res].map(([k, r]) => [k, r.ok ? 'ok' : r.error.kind]))
  t.same(kinds, { 'ns/a': 'ok', 'ns/b': 'unavailable', 'ns/c': 'bad-query', 'ns/d': 'extra-series', 'ns/e': 'invalid-answer', 'ns/f': 'missing-series' })
})

t.test('fetchLoadHistory: grouping, identical queries and bad ranges', async (t) => {
  const grouped = 'sum by (service) (rate(m{service=~"x|y"}[5m]))'
  const q = fake({ [grouped]: [series({ service: 'x' }, 10), series({ service: 'y' }, 20)] })
  const src = new PrometheusSource({ querier: q, log })
  const ps = [policy('x', 'sum(rate(m{service="x"}[5m]))'), policy('y', 'sum(rate(m{service="y"}[5m]))'), policy('x2', 'sum(rate(m{service="x"}[5m]))')]
  const res = await src.fetchLoadHistory(ps, RANGE)
  t.same(q.asked, [grouped])
  const first = (k: string): number | undefined => {
    const r = res.get(k)
    return r?.ok === true ? r.window.values[0] : undefined
  }
  t.same([first('ns/x'), first('ns/y'), first('ns/x2')], [10, 20, 10])

  const off = fake({})
  await new PrometheusSource({ querier: off, log, grouping: false }).fetchLoadHistory(ps, RANGE)
  t.same(off.asked.sort(), ['sum(rate(m{service="x"}[5m]))', 'sum(rate(m{service="y"}[5m]))'], 'ungrouped, identical queries still share one read')

  for (const [name, range, msg] of [
    ['inverted', { startMs: 10, endMs: 0, stepSeconds: 60 }, /bad range/],
    ['zero step', { startMs: 0, endMs: 10, stepSeconds: 0 }, /bad range/],
    ['too long', { startMs: 0, endMs: 11_000 * 60_000, stepSeconds: 60 }, /11001 steps, more than the 11000/],
  ] as const) {
    const none = fake({})
    const r = (await new PrometheusSource({ querier: none, log }).fetchLoadHistory(ps, range)).get('ns/x')
    t.match(r, { ok: false, error: { kind: 'bad-query', message: msg } }, name)
    t.same(none.asked, [], `${name}: nothing sent`)
  }
})

t.test('fetchLoadHistory: plans are kept for the same policies and made again when a query or policy changes', async (t) => {
  const xy = 'sum by (service) (rate(m{service=~"x|y"}[5m]))'
  const xz = 'sum by (service) (rate(m{service=~"x|z"}[5m]))'
  const q = fake({ [xy]: [series({ service: 'x' }, 10), series({ service: 'y' }, 20)], [xz]: [series({ service: 'x' }, 10), series({ service: 'z' }, 30)] })
  const src = new PrometheusSource({ querier: q, log })
  const x = policy('x', 'sum(rate(m{service="x"}[5m]))')
  const value = (res: Awaited<ReturnType<PrometheusSource['fetchLoadHistory']>>, k: string): number | undefined => {
    const r = res.get(k)
    return r?.ok === true ? r.window.values[0] : undefined
  }
  const rounds: Array<{ name: string; policies: Policy[]; asked: string; values: Record<string, number | undefined> }> = [
    { name: 'first', policies: [x, policy('y', 'sum(rate(m{service="y"}[5m]))')], asked: xy, values: { 'ns/x': 10, 'ns/y': 20 } },
    { name: 'same again', policies: [x, policy('y', 'sum(rate(m{service="y"}[5m]))')], asked: xy, values: { 'ns/x': 10, 'ns/y': 20 } },
    { name: 'y now reads z', policies: [x, policy('y', 'sum(rate(m{service="z"}[5m]))')], asked: xz, values: { 'ns/x': 10, 'ns/y': 30 } },
    { name: 'y renamed w, same query', policies: [x, policy('w', 'sum(rate(m{service="z"}[5m]))')], asked: xz, values: { 'ns/x': 10, 'ns/w': 30, 'ns/y': undefined } },
    { name: 'back to the first', policies: [x, policy('y', 'sum(rate(m{service="y"}[5m]))')], asked: xy, values: { 'ns/x': 10, 'ns/y': 20 } },
  ]
  for (const r of rounds) {
    q.asked.length = 0
    const res = await src.fetchLoadHistory(r.policies, RANGE)
    t.same(q.asked, [r.asked], `${r.name}: asks ${r.asked}`)
    for (const [k, v] of Object.entries(r.values)) t.equal(value(res, k), v, `${r.name}: ${k}`)
  }
})

t.test('fetchPodSignals: per pod, per signal, shared queries read once', async (t) => {
  const er = 'max by (pod) (err)'
  const lat = 'max by (instance) (lat)'
  const q = fake({ [er]: [series({ pod: 'a' }, 0.1), series({ pod: 'b' }, 0.5)], [lat]: [series({ instance: 'a' }, 1)] })
  const src = new PrometheusSource({ querier: q, log })
  const res = await src.fetchPodSignals(
    [
      policy('one', 'sum(x)', { errorRatioQuery: er, latencyQuery: lat, podLabel: 'instance' }),
      policy('two', 'sum(x)', { errorRatioQuery: er }),
      policy('three', 'sum(x)'),
    ],
    RANGE,
  )
  t.same(q.asked.sort(), [er, lat].sort())
  t.same([...res.keys()], ['ns/one', 'ns/two'])
  const two = res.get('ns/two')?.errorRatio
  t.same(two?.ok === true ? [...two.pods.keys()] : [], ['a', 'b'])
  t.match(res.get('ns/one')?.errorRatio, { ok: false, error: { message: /has no "instance" label/ } }, 'the policy\'s own pod label is used')
  const latency = res.get('ns/one')?.latency
  t.same(latency?.ok === true ? [...latency.pods.keys()] : [], ['a'])
  t.equal(res.get('ns/one')?.saturation, undefined, 'unconfigured signals are absent')
})

t.test('fetchPodSignals: the request counts behind the error ratios are read as a signal of their own', async (t) => {
  const er = 'sum by (pod) (rate(e[2m])) / sum by (pod) (rate(r[2m]))'
  const rq = 'sum by (pod) (increase(r[2m]))'
  const q = fake({ [er]: [series({ pod: 'a' }, 0.1)], [rq]: [series({ pod: 'a' }, 120)] })
  const src = new PrometheusSource({ querier: q, log })
  const res = await src.fetchPodSignals([policy('one', 'sum(x)', { errorRatioQuery: er, requestsQuery: rq })], RANGE)
  t.same(q.asked.sort(), [er, rq].sort())
  const requests = res.get('ns/one')?.requests
  t.same(requests?.ok === true ? [...requests.pods.keys()] : [], ['a'])
})
