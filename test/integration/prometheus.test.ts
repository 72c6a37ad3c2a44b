/**
 * The Prometheus access layer against a REAL Prometheus whose TSDB holds the NASA 1995 trace (see
 * test/helpers/prometheus.ts): exact values, gaps, grouped reads, and the failure paths (timeouts, retries,
 * circuit breaker across a kill and restart, bad PromQL, answers with the wrong number of series).
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type Socket } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { prometheusFromConfig } from '../../src/prometheus/from-config.js'
import { createCA, issueCert } from '../../src/auth/pki.js'
import { policySchema, type Policy } from '../../src/policy/schema.js'
import { createPrometheusClient } from '../../src/prometheus/client.js'
import { PrometheusError } from '../../src/prometheus/errors.js'
import { withResilience } from '../../src/prometheus/resilient.js'
import { createPrometheusSource, type CreateSourceOptions, type FetchRange, type SeriesResult } from '../../src/prometheus/source.js'
import { startCountingProxy } from '../helpers/prometheus-proxy.js'
import { STEP_MS, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js'

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const GAP = { fromMinutesAgo: 100, toMinutesAgo: 90 }

function policy(namespace: string, name: string, query: string, podSignals?: Record<string, string>): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { name }, load: { query, capacityPerReplica: 1 }, maxReplicas: 10, ...(podSignals !== undefined ? { podSignals } : {}) },
  })
}

const rateQuery = (ns: string, svc: string): string => `sum(rate(http_requests_total{namespace="${ns}",service="${svc}"}[1m]))`

function ok(r: SeriesResult | undefined): Float64Array {
  if (r === undefined) throw new Error('no result')
  if (!r.ok) throw r.error
  return r.window.values
}

function failure(r: SeriesResult | undefined): PrometheusError {
  if (r === undefined || r.ok) throw new Error('expected a failure')
  return r.error
}

/** Starts a source on `url` with fast retries; closed in teardown. */
function source(t: { teardown(fn: () => void): void }, url: string, over: Partial<CreateSourceOptions> = {}): ReturnType<typeof createPrometheusSource> {
  const s = createPrometheusSource({ url, log, timeoutMs: 3000, retries: 2, backoffBaseMs: 20, backoffMaxMs: 100, ...over })
  t.teardown(() => s.client.close())
  return s
}

let prom: RunningPrometheus
t.before(async () => {
  prom = await startPrometheus({ days: 8, gap: GAP })
})
t.teardown(() => prom.stop())

const lastHours = (hours: number): FetchRange => ({ startMs: prom.endMs - hours * 3_600_000, endMs: prom.endMs, stepSeconds: 60 })

t.test('query_range returns the backfilled trace: rate over the counter is requests/60, the gauge is exact', async (t) => {
  const { source: src } = source(t, prom.url)
  const range = lastHours(2)
  const res = await src.fetchLoadHistory(
    [policy('default', 'rate', rateQuery('default', 'web')), policy('default', 'gauge', 'sum(http_requests_per_minute{namespace="default",service="web"})')],
    range,
  )
  const rate = ok(res.get('default/rate'))
  const gauge = ok(res.get('default/gauge'))
  t.equal(rate.length, 121, 'two hours at one-minute steps, both ends included')
  let checked = 0
  for (let i = 0; i < rate.length; i++) {
    const tMs = range.startMs + i * STEP_MS
    const want = prom.requestsAt(tMs)
    if (want === undefined) continue
    t.equal(gauge[i], want, `gauge at ${new Date(tMs).toISOString()}`)
    if (prom.requestsAt(tMs - STEP_MS) !== undefined) {
      t.ok(Math.abs((rate[i] ?? NaN) * 60 - want) < 1e-9, `rate*60 at ${new Date(tMs).toISOString()}: ${(rate[i] ?? NaN) * 60} vs ${want}`)
      checked++
    }
  }
  t.ok(checked > 100, `${checked} points compared`)
  t.equal(gauge[gauge.length - 1], prom.requestsAt(prom.endMs), 'the newest minute (the block that ends now) is served')

  // A week back, as the engine's seasonal read does: still in the backfilled blocks.
  const weekAgo = { startMs: prom.endMs - 7 * 86_400_000, endMs: prom.endMs - 7 * 86_400_000 + 600_000, stepSeconds: 60 }
  const old = ok((await src.fetchLoadHistory([policy('default', 'gauge', 'sum(http_requests_per_minute{service="web"})')], weekAgo)).get('default/gauge'))
  t.same([...old], Array.from({ length: 11 }, (_, i) => prom.requestsAt(weekAgo.startMs + i * STEP_MS)))
})

t.test('gaps come back as NaN on the step grid', async (t) => {
  const { source: src } = source(t, prom.url)
  const range = { startMs: prom.endMs - 120 * STEP_MS, endMs: prom.endMs - 60 * STEP_MS, stepSeconds: 60 }
  const res = await src.fetchLoadHistory([policy('default', 'rate', rateQuery('default', 'web')), policy('default', 'gauge', 'sum(http_requests_per_minute{service="web"})')], range)
  const nanAt = (values: Float64Array): number[] => [...values].flatMap((v, i) => (Number.isNaN(v) ? [120 - i] : []))
  // The 11 missing minutes, plus the first minute after them (rate needs two samples in its 1m window).
  t.same(nanAt(ok(res.get('default/rate'))), [100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89])
  // The gauge's last sample is reused for 5 minutes (Prometheus's lookback), so only 6 minutes are empty.
  t.same(nanAt(ok(res.get('default/gauge'))), [95, 94, 93, 92, 91, 90])
})

t.test('policies with the same query shape are read with ONE query and split back exactly', async (t) => {
  const proxy = await startCountingProxy(prom.url)
  t.teardown(() => proxy.close())
  const policies = [
    policy('default', 'web', rateQuery('default', 'web')),
    policy('shop', 'api', rateQuery('shop', 'api')),
    policy('shop', 'cart', rateQuery('shop', 'cart')),
    policy('shop', 'cart-twin', rateQuery('shop', 'cart')),
    policy('shop', 'ghost', rateQuery('shop', 'ghost')),
  ]
  const range = lastHours(1)
  const grouped = await source(t, proxy.url).source.fetchLoadHistory(policies, range)
  t.equal(proxy.rangeQueries(), 1, 'one HTTP query for five policies')
  t.match(proxy.seen[0]?.query, /^sum by \(namespace, service\) \(rate\(http_requests_total\{namespace=~"default\|shop",service=~"api\|cart\|ghost\|web"\}\[1m\]\)\)$/)
  t.equal(failure(grouped.get('shop/ghost')).kind, 'missing-series', 'a member with no data gets its own error')

  const single = await source(t, proxy.url, { grouping: false }).source.fetchLoadHistory(policies, range)
  t.equal(proxy.rangeQueries(), 1 + 4, 'ungrouped: one query per distinct query text')
  for (const key of ['default/web', 'shop/api', 'shop/cart', 'shop/cart-twin']) t.same([...ok(grouped.get(key))], [...ok(single.get(key))], `${key}: grouped equals individual`)
  const web = ok(grouped.get('default/web'))
  const cart = ok(grouped.get('shop/cart'))
  t.ok(web.every((v, i) => Math.abs((cart[i] ?? NaN) - 3 * v) < 1e-9), 'cart is 3x web, as backfilled')
})

t.test('per-pod signals: one series per pod, the outlier stands out', async (t) => {
  const { source: src } = source(t, prom.url)
  const range = lastHours(1)
  const p = policy('default', 'web', rateQuery('default', 'web'), { errorRatioQuery: 'max by (pod) (http_requests_errors_ratio{namespace="default",service="web"})' })
  const res = await src.fetchPodSignals([p, policy('default', 'plain', rateQuery('default', 'web'))], range)
  t.same([...res.keys()], ['default/web'], 'only policies with pod signals')
  const er = res.get('default/web')?.errorRatio
  if (er === undefined || !er.ok) throw new Error(`no error ratios: ${er?.ok === false ? er.error.message : ''}`)
  t.same([...er.pods.keys()].sort(), ['web-0', 'web-1', 'web-2', 'web-3'])
  for (const [pod, w] of er.pods) t.equal(w.values[w.values.length - 1], prom.errorRatioAt(prom.endMs, pod), `${pod} latest value`)
  const latest = [...er.pods].map(([pod, w]) => [pod, w.values[w.values.length - 1] ?? NaN] as const).sort((a, b) => b[1] - a[1])
  t.equal(latest[0]?.[0], 'web-2')

  const noLabel = await src.fetchPodSignals([policy('default', 'web', rateQuery('default', 'web'), { errorRatioQuery: 'sum(http_requests_errors_ratio)' })], range)
  const bad = noLabel.get('default/web')?.errorRatio
  t.equal(bad?.ok, false)
  t.match(bad?.ok === false ? bad.error.message : '', /has no "pod" label/)
})

t.test('answers with the wrong number of series are rejected with precise errors', async (t) => {
  const { source: src } = source(t, prom.url)
  const res = await src.fetchLoadHistory(
    [policy('default', 'extra', 'http_requests_per_minute'), policy('default', 'none', 'sum(http_requests_per_minute{service="nope"})')],
    lastHours(1),
  )
  const extra = failure(res.get('default/extra'))
  t.equal(extra.kind, 'extra-series')
  t.match(extra.message, /"http_requests_per_minute" returned 3 series where one is expected: \{__name__="http_requests_per_minute", job="demo", namespace="default", service="web"\}, .*service="api".*service="cart"/)
  const none = failure(res.get('default/none'))
  t.equal(none.kind, 'missing-series')
  t.match(none.message, /no series for "sum\(http_requests_per_minute\{service=\\"nope\\"\}\)"/)

  const viaReader = await src.read([policy('default', 'extra', 'http_requests_per_minute'), policy('default', 'web', rateQuery('default', 'web')), policy('default', 'none', 'sum(http_requests_per_minute{service="nope"})')], lastHours(1))
  t.match(viaReader.get('default/extra'), { ok: false, error: /returned 3 series where one is expected/ }, 'the engine\'s HistoryReader gets the message')
  t.notOk(Object.hasOwn(viaReader.get('default/extra') ?? {}, 'noSeries'), 'too many series is a failure')
  t.match(viaReader.get('default/none'), { ok: false, error: /no series for/, noSeries: true }, 'no series is marked as such (no data in the range, not a broken query)')
  t.match(viaReader.get('default/web'), { ok: true, window: { startMs: prom.endMs - 3_600_000, stepMs: 60_000 } })

  const tiny = source(t, prom.url, { limits: { maxPoints: 100 } }).source
  const twoHours = { startMs: prom.endMs - 5 * 3_600_000, endMs: prom.endMs - 3 * 3_600_000, stepSeconds: 60 }
  const big = failure((await tiny.fetchLoadHistory([policy('default', 'web', rateQuery('default', 'web'))], twoHours)).get('default/web'))
  t.equal(big.kind, 'oversized')
  t.match(big.message, /121 samples, more than the limit of 100/)
})

t.test('bad PromQL fails once, clearly, without retries', async (t) => {
  const proxy = await startCountingProxy(prom.url)
  t.teardown(() => proxy.close())
  const { source: src, querier } = source(t, proxy.url, { breakerFailureThreshold: 1 })
  const res = await src.fetchLoadHistory([policy('default', 'bad', 'sum(rate(http_requests_total[1m])'), policy('default', 'good', rateQuery('default', 'web'))], lastHours(1))
  const e = failure(res.get('default/bad'))
  t.equal(e.kind, 'bad-query')
  t.equal(e.retryable, false)
  t.equal(e.httpStatus, 400)
  t.match(e.message, /^unable to query Prometheus: http:\/\/127\.0\.0\.1:\d+ rejected the query \(HTTP 400 bad_data\): .*parse error/)
  t.equal(proxy.seen.filter((s) => s.query === 'sum(rate(http_requests_total[1m])').length, 1, 'the bad query was sent once')
  t.ok(res.get('default/good')?.ok, 'the other policy in the batch is unaffected')
  t.equal(querier.breakerState(), 'closed', 'a rejected query does not count against Prometheus health')
})

t.test('a Prometheus that accepts but never answers times out within the deadline', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((s) => void sockets.add(s))
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    silent.close()
    await once(silent, 'close')
  })
  const addr = silent.address()
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  const { source: src } = source(t, `http://127.0.0.1:${addr.port}`, { timeoutMs: 300, retries: 1, backoffBaseMs: 10 })
  const t0 = performance.now()
  const res = await src.fetchLoadHistory([policy('default', 'web', rateQuery('default', 'web'))], lastHours(1))
  const elapsedMs = performance.now() - t0
  const e = failure(res.get('default/web'))
  t.equal(e.kind, 'timeout')
  t.match(e.message, /no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/)
  t.ok(elapsedMs >= 600 && elapsedMs < 5000, `two attempts of 300 ms took ${Math.round(elapsedMs)} ms`)
  t.ok(sockets.size >= 1 && sockets.size <= 2, `${sockets.size} connection(s): the server really was reached`)
})

t.test('5xx and 429 are retried with backoff and then succeed', async (t) => {
  const proxy = await startCountingProxy(prom.url)
  t.teardown(() => proxy.close())
  const { source: src } = source(t, proxy.url, { retries: 3 })
  const p = [policy('default', 'web', rateQuery('default', 'web'))]
  for (const status of [503, 429]) {
    const before = proxy.rangeQueries()
    proxy.failNext(2, status)
    const res = await src.fetchLoadHistory(p, lastHours(1))
    t.ok(res.get('default/web')?.ok, `${status}: succeeded`)
    t.equal(proxy.rangeQueries() - before, 3, `${status}: two failures, then the answer`)
  }
})

t.test('the circuit opens when Prometheus dies and closes after it is back', async (t) => {
  const own = await startPrometheus({ days: 1, podHours: 1 })
  t.teardown(() => own.stop())
  const proxy = await startCountingProxy(own.url)
  t.teardown(() => proxy.close())
  const coolDownMs = 2000
  const { source: src, querier } = source(t, proxy.url, { retries: 2, breakerFailureThreshold: 3, breakerCoolDownMs: coolDownMs })
  const p = [policy('default', 'web', rateQuery('default', 'web'))]
  const range = { startMs: own.endMs - 3_600_000, endMs: own.endMs, stepSeconds: 60 }
  t.ok((await src.fetchLoadHistory(p, range)).get('default/web')?.ok, 'healthy at first')

  await own.kill()
  let before = proxy.rangeQueries()
  const down = failure((await src.fetchLoadHistory(p, range)).get('default/web'))
  t.equal(down.kind, 'unavailable')
  t.match(down.message, /answered HTTP 502/)
  t.equal(proxy.rangeQueries() - before, 3, 'first attempt and two retries')
  t.equal(querier.breakerState(), 'open', 'three failed attempts opened the circuit')

  before = proxy.rangeQueries()
  const open = failure((await src.fetchLoadHistory(p, range)).get('default/web'))
  t.equal(open.kind, 'circuit-open')
  t.match(open.message, /failed repeatedly \(last: answered HTTP 502: [^)]*\); not asking again for \d+ ms/)
  t.equal(proxy.rangeQueries(), before, 'an open circuit sends nothing')

  // Straight at the dead port (no proxy): refused connections are retryable "unavailable" failures.
  const direct = createPrometheusClient({ url: own.url, timeoutMs: 1000 })
  t.teardown(() => direct.close())
  const refused = await withResilience(direct, log, { retries: 0 }).queryRange('up', range).catch((e: unknown) => e)
  t.match(refused, { kind: 'unavailable', retryable: true, message: /is unreachable: connect ECONNREFUSED/ })

  await own.restart()
  const deadline = Date.now() + coolDownMs + 3000
  while (querier.breakerState() === 'open' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.equal(querier.breakerState(), 'half-open', 'the cool-down is over')
  before = proxy.rangeQueries()
  const back = ok((await src.fetchLoadHistory(p, range)).get('default/web'))
  t.equal(proxy.rangeQueries() - before, 1, 'one probe')
  t.equal(querier.breakerState(), 'closed')
  t.ok(Math.abs((back[back.length - 1] ?? NaN) * 60 - (own.requestsAt(own.endMs) ?? NaN)) < 1e-9, 'the data survived the kill')
})

t.test('https with a private CA, bearer token and basic auth', async (t) => {
  const ca = createCA('test-prometheus-ca')
  const serving = issueCert(ca, { commonName: 'prometheus', ipAddresses: ['127.0.0.1'], usage: 'server' })
  const dir = mkdtempSync(join(tmpdir(), 'foresight-prom-ca-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const caFile = join(dir, 'ca.crt')
  writeFileSync(caFile, ca.certPem)
  const token = 's3cret-token'
  const proxy = await startCountingProxy(prom.url, { tls: serving, authorization: `Bearer ${token}` })
  t.teardown(() => proxy.close())
  const p = [policy('default', 'web', rateQuery('default', 'web'))]
  const range = lastHours(1)

  t.ok((await source(t, proxy.url, { caFile, bearerToken: () => token }).source.fetchLoadHistory(p, range)).get('default/web')?.ok, 'CA file and token accepted')

  let before = proxy.rangeQueries()
  const denied = failure((await source(t, proxy.url, { caFile, bearerToken: 'wrong-token' }).source.fetchLoadHistory(p, range)).get('default/web'))
  t.equal(denied.kind, 'unauthorized')
  t.match(denied.message, /refused the credentials \(HTTP 401: Unauthorized\)$/)
  t.notMatch(denied.message, /wrong-token/)
  t.equal(proxy.rangeQueries() - before, 1, 'refused credentials are not retried')

  before = proxy.rangeQueries()
  const untrusted = failure((await source(t, proxy.url, {}).source.fetchLoadHistory(p, range)).get('default/web'))
  t.match(untrusted, { kind: 'unavailable', retryable: false, message: /TLS failure talking to https:\/\/127\.0\.0\.1:\d+/ })
  t.equal(proxy.rangeQueries(), before, 'no request got through without the CA')

  const basic = await startCountingProxy(prom.url, { authorization: `Basic ${Buffer.from('reader:pa55').toString('base64')}` })
  t.teardown(() => basic.close())
  t.ok((await source(t, basic.url, { basicAuth: { username: 'reader', password: 'pa55' } }).source.fetchLoadHistory(p, range)).get('default/web')?.ok, 'basic auth accepted')

  // As configured: secret files are read per request, so a rotated password works without a restart, and a
  // missing file names the setting, never the path.
  const passwordFile = join(dir, 'password')
  writeFileSync(passwordFile, 'old-password\n')
  const configured = prometheusFromConfig({ kind: 'prometheus', url: basic.url, timeoutMs: 5000, maxConcurrentQueries: 2, maxGroupSize: 10, headers: {}, headerFiles: {}, username: 'reader', passwordFile }, pino({ level: 'silent' }))
  t.equal(failure((await configured.fetchLoadHistory(p, range)).get('default/web')).kind, 'unauthorized', 'the old password is refused')
  writeFileSync(passwordFile, 'pa55\n')
  t.ok((await configured.fetchLoadHistory(p, range)).get('default/web')?.ok, 'the rotated password is read on the next request')
  const tokenFile = join(dir, 'no-such-token')
  const missing = failure((await prometheusFromConfig({ kind: 'prometheus', url: proxy.url, timeoutMs: 5000, maxConcurrentQueries: 2, maxGroupSize: 10, headers: {}, headerFiles: {}, bearerTokenFile: tokenFile, caFile }, pino({ level: 'silent' })).fetchLoadHistory(p, range)).get('default/web'))
  t.match(missing.message, 'unable to read the Prometheus credentials (source.bearerTokenFile)')
  t.notMatch(missing.message, tokenFile)
})

t.test('no more than maxInFlight queries reach Prometheus at once', async (t) => {
  const proxy = await startCountingProxy(prom.url)
  t.teardown(() => proxy.close())
  proxy.delayMs = 100
  // Not of the simple grouped form, so each is its own query.
  const policies = Array.from({ length: 6 }, (_, i) => policy('default', `p${i}`, `sum(http_requests_per_minute{service="web"}) + ${i}`))
  const res = await source(t, proxy.url, { maxInFlight: 2 }).source.fetchLoadHistory(policies, lastHours(1))
  t.equal(proxy.rangeQueries(), 6)
  t.equal(proxy.peakInFlight(), 2)
  const base = ok(res.get('default/p0'))
  t.equal(ok(res.get('default/p5'))[0], (base[0] ?? NaN) + 5)
})
