import t from 'tap'
import { ExtraSeriesError, MissingSeriesError, OversizedAnswerError, PrometheusAnswerError } from './errors.js'
import { byPod, counterIncreases, expectOne, parseRangeAnswer, parseSampleValue, resample, type RawSeries } from './parse.js'

const LIMITS = { maxSeries: 10, maxPoints: 100 }
const body = (result: unknown[], resultType = 'matrix'): unknown => ({ status: 'success', data: { resultType, result } })
const series = (labels: Record<string, string>, ts: number[], vs: number[]): RawSeries => ({ labels, timestampsMs: Float64Array.from(ts), values: Float64Array.from(vs) })
const arr = (a: Float64Array): Array<number | null> => [...a].map((v) => (Number.isNaN(v) ? null : v))

t.test('parseSampleValue', async (t) => {
  const cases: Array<[string, number | null]> = [
    ['1', 1], ['-2.5', -2.5], ['1e3', 1000], ['+4', 4], ['.5', 0.5], ['0', 0],
    ['NaN', null], ['+Inf', null], ['-Inf', null],
  ]
  for (const [text, want] of cases) {
    const got = parseSampleValue(text)
    t.equal(Number.isNaN(got) ? null : got, want, text)
  }
  for (const bad of ['', 'abc', '0x10', '1,5', ' 1']) t.throws(() => parseSampleValue(bad), PrometheusAnswerError, JSON.stringify(bad))
})

t.test('parseRangeAnswer', async (t) => {
  const ok = parseRangeAnswer(body([{ metric: { __name__: 'x', pod: 'a' }, values: [[100, '1'], [160.5, 'NaN'], [220, '+Inf']] }]), LIMITS)
  t.equal(ok.length, 1)
  t.same(ok[0]?.labels, { __name__: 'x', pod: 'a' })
  t.same([...(ok[0]?.timestampsMs ?? [])], [100_000, 160_500, 220_000])
  t.same(arr(ok[0]?.values ?? new Float64Array()), [1, null, null])
  t.same(parseRangeAnswer(body([]), LIMITS), [])

  const rejected: Array<[string, unknown, new (...a: never[]) => Error, RegExp]> = [
    ['error status', { status: 'error', error: 'x' }, PrometheusAnswerError, /not a query_range answer/],
    ['html', '<html>', PrometheusAnswerError, /not a query_range answer/],
    ['vector', body([], 'vector'), PrometheusAnswerError, /expected a matrix, got a vector/],
    ['bad sample', body([{ metric: {}, values: [[1, 2]] }]), PrometheusAnswerError, /sample 0 of a series/],
    ['bad value', body([{ metric: {}, values: [[1, 'zz']] }]), PrometheusAnswerError, /"zz" is not a number/],
    ['too many series', body(Array.from({ length: 11 }, () => ({ metric: {}, values: [] }))), OversizedAnswerError, /11 series, more than the limit of 10/],
    ['too many points', body([{ metric: {}, values: Array.from({ length: 101 }, (_, i) => [i, '1']) }]), OversizedAnswerError, /101 samples, more than the limit of 100/],
  ]
  for (const [name, input, type, msg] of rejected) t.throws(() => parseRangeAnswer(input, LIMITS), { constructor: type, message: msg }, name)
})

t.test('parseRangeAnswer names the first place a hostile answer is not a matrix', async (t) => {
  const matrix = (result: unknown): unknown => ({ status: 'success', data: { resultType: 'matrix', result } })
  const cases: Array<[string, unknown, string]> = [
    ['no body', undefined, 'expected object, received undefined at '],
    ['null', null, 'expected object, received null at '],
    ['text', '<html>', 'expected object, received string at '],
    ['a number', 42, 'expected object, received number at '],
    ['an array', [], 'expected object, received array at '],
    ['no status', { data: {} }, 'expected "success" at status'],
    ['an error answer', { status: 'error', errorType: 'bad_data', error: 'x' }, 'expected "success" at status'],
    ['bad status and data', { status: 'nope', data: 3 }, 'expected "success" at status'],
    ['no data', { status: 'success' }, 'expected object, received undefined at data'],
    ['data an array', { status: 'success', data: [] }, 'expected object, received array at data'],
    ['no resultType', { status: 'success', data: { result: [] } }, 'expected string, received undefined at data.resultType'],
    ['resultType a number', { status: 'success', data: { resultType: 1, result: [] } }, 'expected string, received number at data.resultType'],
    ['no result', { status: 'success', data: { resultType: 'matrix' } }, 'expected array, received undefined at data.result'],
    ['result an object', matrix({}), 'expected array, received object at data.result'],
    ['a null series', matrix([null]), 'expected object, received null at data.result.0'],
    ['a scalar', { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }, 'expected object, received number at data.result.0'],
    ['a vector', { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } }, 'expected array, received undefined at data.result.0.values'],
    ['no metric', matrix([{ values: [] }]), 'expected record, received undefined at data.result.0.metric'],
    ['metric an array', matrix([{ metric: [], values: [] }]), 'expected record, received array at data.result.0.metric'],
    ['bad metric and values', matrix([{ metric: 3, values: 'x' }]), 'expected record, received number at data.result.0.metric'],
    ['a numeric label', matrix([{ metric: { a: 1 }, values: [] }]), 'expected string, received number at data.result.0.metric.a'],
    ['a null label after a good one', matrix([{ metric: { a: 'x', b: null }, values: [] }]), 'expected string, received null at data.result.0.metric.b'],
    ['values an object', matrix([{ metric: {}, values: {} }]), 'expected array, received object at data.result.0.values'],
    ['the second series bad', matrix([{ metric: {}, values: [] }, { metric: {}, values: 'x' }]), 'expected array, received string at data.result.1.values'],
  ]
  for (const [name, input, where] of cases) {
    t.throws(() => parseRangeAnswer(input, LIMITS), { constructor: PrometheusAnswerError, message: `unable to use Prometheus's answer: not a query_range answer (Invalid input: ${where})` }, name)
  }

  // Extra keys are ignored; labels are a fresh object of the answer's own string labels, a "__proto__" key dropped.
  const extra = parseRangeAnswer({ status: 'success', warnings: ['w'], data: { resultType: 'matrix', x: 1, result: [{ metric: { a: 'b' }, values: [[1, '2']], extra: 1 }] } }, LIMITS)
  t.same(extra[0]?.labels, { a: 'b' })
  const polluted = parseRangeAnswer(JSON.parse('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__proto__":{"admin":"1"},"pod":"a"},"values":[]}]}}'), LIMITS)
  const labels = polluted[0]?.labels ?? {}
  t.same(Object.keys(labels), ['pod'])
  t.equal(Object.getPrototypeOf(labels), Object.prototype, 'the prototype is untouched')
  t.equal((labels as Record<string, unknown>).admin, undefined)
})

t.test('resample onto the grid', async (t) => {
  const s = series({}, [0, 60_000, 180_000.4, 240_000, 299_000, 900_000], [1, 2, 4, NaN, 5, 9])
  const w = resample(s, 0, 300_000, 60_000)
  t.equal(w.startMs, 0)
  t.equal(w.stepMs, 60_000)
  t.same(arr(w.values), [1, 2, null, 4, null, 5], 'missing point, NaN sample and out-of-range sample are gaps; rounding is absorbed')
  t.equal(resample(s, 0, 0, 60_000).values.length, 1, 'a one-point range')
  t.throws(() => resample(s, 10, 0, 60_000), RangeError)
})

t.test('expectOne', async (t) => {
  const a = series({ service: 'a' }, [], [])
  t.equal(expectOne([a], 'q'), a)
  t.throws(() => expectOne([], 'sum(q)'), { constructor: MissingSeriesError, message: /no series for "sum\(q\)"/ })
  const many = Array.from({ length: 7 }, (_, i) => series({ pod: `p${i}` }, [], []))
  t.throws(() => expectOne(many, 'q'), {
    constructor: ExtraSeriesError,
    message: /"q" returned 7 series where one is expected: \{pod="p0"\}, \{pod="p1"\}, .*\{pod="p4"\} and 2 more/,
  })
})

t.test('byPod', async (t) => {
  const m = byPod([series({ pod: 'a' }, [], []), series({ pod: 'b' }, [], [])], 'pod', 'q')
  t.same([...m.keys()], ['a', 'b'])
  t.throws(() => byPod([series({ instance: 'x' }, [], [])], 'pod', 'q'), { message: /has no "pod" label/ })
  t.throws(() => byPod([series({ pod: 'a', c: '1' }, [], []), series({ pod: 'a', c: '2' }, [], [])], 'pod', 'q'), ExtraSeriesError)
})

t.test('counterIncreases', async (t) => {
  const cases: Array<[number[], Array<number | null>]> = [
    [[1, 3, 6], [null, 2, 3]],
    [[5, 7, 2, 4], [null, 2, 2, 2]],
    [[1, NaN, 4, 5], [null, null, null, 1]],
    [[], []],
  ]
  for (const [input, want] of cases) t.same(arr(counterIncreases(Float64Array.from(input))), want, JSON.stringify(input))
})
