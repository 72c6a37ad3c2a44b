import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { adapterConfigSchema } from '../../src/config/adapter-config.js'
import { loadConfig } from '../../src/config/load.js'
import { policySchema, type Policy } from '../../src/policy/schema.js'
import { prometheusFromConfig } from '../../src/prometheus/from-config.js'
import { createPrometheusSource, type FetchRange, type PrometheusSource, type SeriesResult } from '../../src/prometheus/source.js'
import { backtestPolicyFixture } from '../helpers/policies.js'
import { runCli } from '../helpers/cli.js'
import { STEP_MS } from '../helpers/prometheus.js'
import { startVictoriaMetrics, victoriaMetricsBinaries, type RunningStore } from '../helpers/victoriametrics.js'

// Foresight against a distributed Prometheus-compatible store as users run one: VictoriaMetrics (built from its Go
// module by hack/build-victoriametrics.sh) holding the backfilled history, behind vmauth, which routes a request
// only with credentials, the tenant header X-Scope-OrgID and the store's path prefix, the way Mimir, Cortex or a
// VictoriaMetrics cluster sit behind their gateways. Two tenants: team-a (bearer token, /prometheus, as Mimir) and
// team-b (basic auth, /select/0/prometheus, as a VictoriaMetrics cluster's vmselect).

const bins = victoriaMetricsBinaries()
if (typeof bins === 'string') {
  t.plan(0, bins)
} else {
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const TOKEN = 'team-a-reader-token'
  const PASSWORD = 'team-b-password'
  const store: RunningStore = await startVictoriaMetrics(bins, [
    { bearerToken: TOKEN, pathPrefix: '/prometheus', requiredHeaders: ['X-Scope-OrgID: team-a'] },
    { username: 'team-b-reader', password: PASSWORD, pathPrefix: '/select/0/prometheus', requiredHeaders: ['X-Scope-OrgID: team-b'] },
  ])
  t.teardown(() => store.stop())
  const dir = mkdtempSync(join(tmpdir(), 'foresight-stores-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const secret = (name: string, text: string): string => {
    const f = join(dir, name)
    writeFileSync(f, `${text}\n`)
    return f
  }
  const tokenFile = secret('token', TOKEN)
  const passwordFile = secret('password', PASSWORD)
  const teamA = `${store.gatewayUrl}/prometheus`
  const teamB = `${store.gatewayUrl}/select/0/prometheus`

  const policy = (namespace: string, name: string, query: string, podSignals?: Record<string, string>): Policy => policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { name }, load: { query, capacityPerReplica: 1 }, maxReplicas: 10, ...(podSignals !== undefined ? { podSignals } : {}) },
  })
  const rateQuery = (ns: string, svc: string): string => `sum(rate(http_requests_total{namespace="${ns}",service="${svc}"}[1m]))`
  const lastHours = (hours: number): FetchRange => ({ startMs: store.endMs - hours * 3_600_000, endMs: store.endMs, stepSeconds: 60 })
  const values = (r: SeriesResult | undefined): Float64Array => {
    if (r === undefined) throw new Error('no result')
    if (!r.ok) throw r.error
    return r.window.values
  }
  const teamASource = (t: { teardown(fn: () => void): void }, headers: Record<string, string> = { 'X-Scope-OrgID': 'team-a' }, url = teamA): PrometheusSource => {
    const s = createPrometheusSource({ url, log, headers, bearerToken: TOKEN, timeoutMs: 5000, retries: 0 })
    t.teardown(() => s.client.close())
    return s.source
  }

  t.test('through the path prefix with the tenant header: the backfilled history, exactly', async (t) => {
    const range = lastHours(2)
    const res = await teamASource(t).fetchLoadHistory([
      policy('default', 'rate', rateQuery('default', 'web')),
      policy('default', 'gauge', 'sum(http_requests_per_minute{namespace="default",service="web"})'),
    ], range)
    const rate = values(res.get('default/rate'))
    const gauge = values(res.get('default/gauge'))
    t.equal(gauge.length, 121, 'one value a minute over two hours')
    let checked = 0
    for (let i = 0; i < gauge.length; i++) {
      const want = store.requestsAt(range.startMs + i * STEP_MS)
      if (want === undefined) continue
      checked++
      if (gauge[i] !== want) t.fail(`gauge at minute ${i}: ${gauge[i]} != ${want}`)
      if (Math.abs((rate[i] ?? NaN) * 60 - want) > 1e-6 * Math.max(1, want)) t.fail(`rate at minute ${i}: ${(rate[i] ?? NaN) * 60} != ${want}`)
    }
    t.equal(checked, 121, 'every minute compared')
  })

  t.test('policies of one query shape are read with ONE grouped query and split back by namespace and service', async (t) => {
    const before = await store.rangeQueries()
    const res = await teamASource(t).fetchLoadHistory([
      policy('default', 'web', rateQuery('default', 'web')),
      policy('shop', 'api', rateQuery('shop', 'api')),
      policy('shop', 'cart', rateQuery('shop', 'cart')),
      policy('shop', 'ghost', rateQuery('shop', 'ghost')),
    ], lastHours(1))
    t.equal(await store.rangeQueriesSince(before), 1, 'the store served one query_range for four policies')
    const web = values(res.get('default/web'))
    const api = values(res.get('shop/api'))
    const cart = values(res.get('shop/cart'))
    t.ok(web.length === 61 && web.every((v, i) => Math.abs((api[i] ?? NaN) - 2 * v) < 1e-9 && Math.abs((cart[i] ?? NaN) - 3 * v) < 1e-9), 'api is 2x and cart 3x web, as backfilled')
    const ghost = res.get('shop/ghost')
    t.equal(ghost?.ok === false ? ghost.error.kind : undefined, 'missing-series', 'a member with no data gets its own error')
  })

  t.test('pod signals grouped by pod: one series per pod, the outlier stands out', async (t) => {
    const range = lastHours(1)
    const res = await teamASource(t).fetchPodSignals([policy('default', 'web', rateQuery('default', 'web'), { errorRatioQuery: 'max by (pod) (http_requests_errors_ratio{namespace="default",service="web"})' })], range)
    const er = res.get('default/web')?.errorRatio
    if (er === undefined || !er.ok) throw new Error(`no error ratios: ${er?.ok === false ? er.error.message : ''}`)
    t.same([...er.pods.keys()].sort(), ['web-0', 'web-1', 'web-2', 'web-3'])
    for (const [pod, w] of er.pods) {
      t.same([...w.values], Array.from({ length: 61 }, (_, i) => store.errorRatioAt(range.startMs + i * STEP_MS, pod)), `${pod}: every minute`)
    }
  })

  t.test("the URL's query parameters go with every query (VictoriaMetrics's extra_label narrows each selector)", async (t) => {
    const range = lastHours(1)
    const total = [policy('default', 'all', 'sum(http_requests_per_minute)')]
    const all = values((await teamASource(t).fetchLoadHistory(total, range)).get('default/all'))
    const api = values((await teamASource(t, undefined, `${teamA}?extra_label=service=api`).fetchLoadHistory(total, range)).get('default/all'))
    t.ok(api.length === 61 && api.every((v, i) => v === store.requestsAt(range.startMs + i * STEP_MS, 'api')), 'only shop/api, as the parameter asks')
    t.ok(all.every((v, i) => v === 6 * (store.requestsAt(range.startMs + i * STEP_MS) ?? NaN)), 'without it, web + api + cart (1 + 2 + 3 times the trace)')
  })

  t.test('the gateway lets a query through only with the tenant header and the prefix', async (t) => {
    const range = lastHours(1)
    const web = [policy('default', 'web', rateQuery('default', 'web'))]
    const refused = async (s: PrometheusSource): Promise<string> => {
      const r = (await s.fetchLoadHistory(web, range)).get('default/web')
      return r?.ok === false ? `${r.error.kind}: ${r.error.message}` : 'accepted'
    }
    t.match(await refused(teamASource(t, {})), /^bad-query: .*rejected the query \(HTTP 400\): .*missing route/, 'no tenant header: refused')
    t.match(await refused(teamASource(t, { 'X-Scope-OrgID': 'team-b' })), /HTTP 400/, "another tenant's header with team-a's token: refused")
    t.match(await refused(teamASource(t, { 'X-Scope-OrgID': 'team-a' }, store.gatewayUrl)), /HTTP 400/, 'without the path prefix: refused')
    t.equal(await refused(teamASource(t)), 'accepted', 'with both: accepted')
    // The same request by hand, so the refusal is the gateway's and not something the client made up.
    const form = new URLSearchParams({ query: 'up', start: String(range.startMs / 1000), end: String(range.endMs / 1000), step: '60' })
    const by = async (headers: Record<string, string>): Promise<number> => (await fetch(`${teamA}/api/v1/query_range`, { method: 'POST', body: form, headers })).status
    t.equal(await by({ Authorization: `Bearer ${TOKEN}` }), 400)
    t.equal(await by({ Authorization: `Bearer ${TOKEN}`, 'X-Scope-OrgID': 'team-a' }), 200)
    t.equal(await by({ 'X-Scope-OrgID': 'team-a' }), 401, 'no credentials')
  })

  t.test('configured as the adapter is: URL with the prefix, basic auth, the tenant from a file re-read at every query', async (t) => {
    const tenantFile = secret('tenant', 'team-b')
    const cfg = loadConfig(adapterConfigSchema, { env: {}, set: [
      'source.kind=prometheus', `source.url=${teamB}`, 'source.username=team-b-reader', `source.passwordFile=${passwordFile}`,
      `source.headerFiles={"X-Scope-OrgID":"${tenantFile}"}`, 'source.timeoutMs=5000',
    ] })
    if (cfg.source.kind !== 'prometheus') throw new Error('expected the prometheus source')
    const src = prometheusFromConfig(cfg.source, log)
    const web = [policy('default', 'web', 'sum(http_requests_per_minute{namespace="default",service="web"})')]
    const read = async (): Promise<SeriesResult | undefined> => (await src.fetchLoadHistory(web, lastHours(1))).get('default/web')
    t.equal(values(await read())[60], store.requestsAt(store.endMs), 'read through /select/0/prometheus as team-b')
    writeFileSync(tenantFile, 'team-a\n')
    const other = await read()
    t.match(other?.ok === false ? other.error.message : 'accepted', /HTTP 400/, 'the rotated file is used by the next query (team-a is not routed for this user)')
    writeFileSync(tenantFile, 'team-b\n')
    t.equal((await read())?.ok, true, 'and back')
  })

  const policyFile = backtestPolicyFixture('web-pod-signals.yaml')

  t.test('foresight backtest --header through the gateway, as JSON', async (t) => {
    const chart = join(dir, 'web.svg')
    const r = await runCli(['backtest', '--prometheus', teamA, '--header', 'X-Scope-OrgID: team-a', '--bearer-token-file', tokenFile, '--policy', policyFile, '--since', '1d', '--chart', chart, '-o', 'json'])
    t.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as { policy: string; period: { start: string; end: string; stepSeconds: number }; strategies: Array<{ name: string; evaluatedMinutes: number; replicaMinutes: number }>; charts: string[] }
    t.equal(out.policy, 'default/web')
    t.equal(Date.parse(out.period.end) - Date.parse(out.period.start), 86_400_000, 'the day asked for')
    t.same(out.strategies.map((s) => s.name).filter((n) => !n.includes('@')), ['reactive', 'holt-winters', 'fft-periodic', 'moving-average', 'ses', 'holt-damped', 'foresight'])
    t.ok(out.strategies.every((s) => s.evaluatedMinutes > 1400 && s.replicaMinutes > 0), 'every strategy scored over the day read through the gateway')
    t.same(out.charts, [chart, join(dir, 'web-day.svg'), join(dir, 'web-frontier.svg')])

    const without = await runCli(['backtest', '--prometheus', teamA, '--bearer-token-file', tokenFile, '--policy', policyFile, '--since', '1d', '--chart', chart])
    t.equal(without.code, 1, 'without the tenant header the gateway refuses')
    t.match(without.stderr, /unable to read the load history: .*rejected the query \(HTTP 400\)/)
  })

  t.test('foresight backtest --remediation with basic auth and the vmselect prefix, as CSV', async (t) => {
    const r = await runCli(['backtest', '--remediation', '--prometheus', teamB, '-H', 'X-Scope-OrgID: team-b', '--username', 'team-b-reader', '--password-file', passwordFile, '--policy', policyFile, '--since', '3h', '-o', 'csv'])
    t.equal(r.code, 0, r.stderr)
    const [header, ...rows] = r.stdout.trimEnd().split('\n')
    t.equal(header, 'time,policy,pod,class,score,reason,message')
    t.ok(rows.length >= 1, 'at least one restart')
    t.ok(rows.every((row) => /^\d{4}-\d\d-\d\dT[\d:.]+Z,default\/web,web-2,error,[\d.]+,\w+,"?error outlier/.test(row)), 'only web-2, the outlier, is restarted')
  })
}
