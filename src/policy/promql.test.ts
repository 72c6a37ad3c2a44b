import t from 'tap'
import { checkPromQL } from './promql.js'

const valid: ReadonlyArray<[string, string]> = [
  ['rate', 'rate(http_requests_total[5m])'],
  ['sum by', 'sum by (pod) (rate(http_requests_total{job="api"}[5m]))'],
  ['offset', 'http_requests_total offset 5m'],
  ['negative offset', 'rate(x[5m] offset -1h)'],
  ['subquery', 'max_over_time(rate(x[5m])[30m:1m])'],
  ['binary ops', 'sum(rate(errors_total[5m])) / sum(rate(requests_total[5m])) * 100'],
  ['compound duration', 'rate(x[1h30m])'],
  ['histogram_quantile', 'histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))'],
  ['multi-line', 'sum(\n  rate(x[5m])\n)'],
  ['@ modifier', 'x @ start()'],
]

const invalid: ReadonlyArray<[string, string, RegExp]> = [
  ['empty', '', /^empty query$/],
  ['blank', '   \n ', /^empty query$/],
  ['unclosed brace', 'rate(x{job="a"[5m])', /line 1, column 15/],
  ['unclosed paren', 'sum(rate(x[5m])', /unexpected end of query/],
  ['unclosed matcher', 'x{', /line 1, column 3: unexpected end of query/],
  ['stray paren', 'x )', /line 1, column 3: unexpected input near "\)"/],
  ['bad duration unit', 'rate(x[5q])', /line 1, column 9/],
  ['unknown function', 'foo_bar(x)', /line 1, column 8/],
  ['dangling operator', '1 +', /unexpected end of query/],
  ['grouping without parens', 'sum by pod (x)', /line 1, column 8/],
  ['unclosed call across lines', 'sum(\n  rate(x[5m]\n', /^syntax error at line 3, column 1: unexpected end of query$/],
  ['error on a later line', 'sum(\n  rate(x{a="b"[5m])\n)', /^syntax error at line 2, column 15: unexpected input near "\[5m\]\) \)"$/],
]

t.test('valid queries', async (t) => {
  for (const [name, q] of valid) t.same(checkPromQL(q), { ok: true }, name)
})

t.test('invalid queries name the position', async (t) => {
  for (const [name, q, want] of invalid) {
    const r = checkPromQL(q)
    t.equal(r.ok, false, name)
    if (!r.ok) t.match(r.message, want, name)
  }
})

t.test('the snippet is bounded', async (t) => {
  const r = checkPromQL(`x ) ${'y'.repeat(500)}`)
  t.equal(r.ok, false)
  if (!r.ok) t.ok(r.message.length < 100, r.message)
})

t.test('hostile queries: an oversized one is refused before parsing; the longest allowed ones parse in bounded time', async (t) => {
  const limit = 4096
  const oversized: ReadonlyArray<[string, string]> = [
    ['one character too many', 'x'.repeat(limit + 1)],
    ['300 KB chain of additions', `${'a+'.repeat(150_000)}a`],
    ['1 MB of one name', 'x'.repeat(1 << 20)],
    ['100 K open parentheses', '('.repeat(100_000)],
    ['blank beyond the limit', ' '.repeat(limit + 1)],
  ]
  for (const [name, q] of oversized) {
    const started = performance.now()
    t.same(checkPromQL(q), { ok: false, message: `longer than ${limit} characters` }, name)
    t.ok(performance.now() - started < 50, `${name}: answered without parsing`)
  }
  const atLimit: ReadonlyArray<[string, string]> = [
    ['chain of additions', `${'a+'.repeat(limit / 2 - 1)}a`],
    ['nested parentheses', `${'('.repeat(limit / 2)}${')'.repeat(limit / 2)}`],
    ['open parentheses', '('.repeat(limit)],
    ['unary minus', `${'-'.repeat(limit - 1)}a`],
    ['open braces', '{'.repeat(limit)],
    ['nested sums', `${'sum('.repeat(819)}a${')'.repeat(819)}`],
    ['power chain', `${'a^'.repeat(limit / 2 - 1)}a`],
  ]
  for (const [name, q] of atLimit) {
    t.ok(q.length <= limit, `${name}: within the limit`)
    const started = performance.now()
    t.doesNotThrow(() => checkPromQL(q), name)
    t.ok(performance.now() - started < 1_000, `${name}: parsed in bounded time`)
  }
})
