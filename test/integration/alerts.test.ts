import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse, stringify } from 'yaml'
import { startTestAdapter } from '../helpers/adapter.js'
import { STATIC_FALLBACK_7, WEB_POD_SIGNALS, backfilledPolicy } from '../helpers/policies.js'
import { startPrometheus } from '../helpers/prometheus.js'
import { startCountingProxy } from '../helpers/prometheus-proxy.js'

// The shipped alerts (deploy/monitoring/prometheusrule.yaml), checked two ways:
// - promtool's rule unit tests (test/fixtures/alerts/rules.test.yaml): each alert silent until its `for` has
//   passed, then firing with the labels and rendered text it promises;
// - a real Prometheus that scrapes the real adapter as the PodMonitor does (job foresight/foresight-adapter,
//   honor_labels, the adapter pod's namespace and pod as target labels) and evaluates the same rules: the alerts
//   select the series the adapter really exports, with the policy's labels. Pending is enough there; `for` is
//   promtool's part.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const FIXTURE = join(ROOT, 'test', 'fixtures', 'alerts', 'rules.test.yaml')

interface Rule { alert?: string; expr: string }
const shipped = parse(readFileSync(join(ROOT, 'deploy', 'monitoring', 'prometheusrule.yaml'), 'utf8')) as { spec: { groups: Array<{ rules: Rule[] }> } }
const dir = mkdtempSync(join(tmpdir(), 'foresight-alerts-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const rulesFile = join(dir, 'rules.yaml')
writeFileSync(rulesFile, stringify({ groups: shipped.spec.groups }))

async function promtool(args: readonly string[]): Promise<{ code: number; output: string }> {
  return await new Promise((resolve) => {
    execFile('promtool', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

t.test('promtool: the rules load, and every alert fires after its `for` with its labels and text', async (t) => {
  const check = await promtool(['check', 'rules', rulesFile])
  t.equal(check.code, 0, `promtool check rules: ${check.output}`)
  const tests = join(dir, 'rules.test.yaml')
  copyFileSync(FIXTURE, tests)
  const run = await promtool(['test', 'rules', tests])
  t.equal(run.code, 0, `promtool test rules: ${run.output}`)
  t.match(run.output, /SUCCESS/)

  const tested = new Set([...readFileSync(FIXTURE, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]))
  const alerts = shipped.spec.groups.flatMap((g) => g.rules).map((r) => r.alert ?? '')
  t.ok(alerts.length >= 10, `${alerts.length} shipped alerts`)
  t.same(alerts.filter((a) => !tested.has(a)), [], 'every shipped alert has a promtool test')

  // The unit tests can fail: a wrong expected label is reported.
  const wrong = join(dir, 'wrong.test.yaml')
  writeFileSync(wrong, readFileSync(FIXTURE, 'utf8').replace('pod: web-2, class: error', 'pod: web-2, class: latency'))
  const failed = await promtool(['test', 'rules', wrong])
  t.not(failed.code, 0, 'a wrong expectation fails')
  t.match(failed.output, /alertname: ForesightPodAnomaly/)
})

t.test('a real Prometheus scraping the real adapter: the alerts select its series', async (t) => {
  // The adapter listens on a port of its own choosing; Prometheus learns it from a file_sd file written after.
  const targets = join(dir, 'targets.json')
  writeFileSync(targets, '[]')
  const scrape = { job_name: 'foresight/foresight-adapter', honor_labels: true, file_sd_configs: [{ files: [targets], refresh_interval: '1s' }] }
  const prom = await startPrometheus({ days: 2, monitor: { scrapeConfigs: [scrape], ruleFiles: [rulesFile] } })
  t.teardown(() => prom.stop())
  const proxy = await startCountingProxy(prom.url)
  t.teardown(() => proxy.close())

  const policies = join(dir, 'policies.yaml')
  writeFileSync(policies, [
    backfilledPolicy('default', 'web', 'web', WEB_POD_SIGNALS),
    backfilledPolicy('shop', 'api', 'api', STATIC_FALLBACK_7),
  ].join('\n---\n'))
  const adapter = await startTestAdapter(['source.kind=prometheus', `source.url=${proxy.url}`, `policies.file=${policies}`, 'engine.refreshIntervalMs=1000'])
  // As the PodMonitor's scrape labels it: the adapter pod's own namespace and name.
  writeFileSync(`${targets}.tmp`, JSON.stringify([{ targets: [new URL(adapter.metricsUrl).host], labels: { namespace: 'foresight', pod: 'foresight-adapter-0' } }]))
  renameSync(`${targets}.tmp`, targets)
  let adapterClosed = false
  t.teardown(async () => {
    if (!adapterClosed) await adapter.close()
  })

  type Labels = Record<string, string>
  const query = async (q: string): Promise<Labels[]> => {
    const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`)
    const body = await res.json() as { data: { result: Array<{ metric: Labels }> } }
    return body.data.result.map((r) => r.metric)
  }
  const alerts = async (): Promise<Labels[]> => await query('ALERTS')
  const waitFor = async (what: string, pred: (a: Labels[]) => boolean, timeoutMs = 30_000): Promise<Labels[]> => {
    const deadline = Date.now() + timeoutMs
    let last: Labels[] = []
    while (Date.now() < deadline) {
      last = await alerts()
      if (pred(last)) return last
      await new Promise((r) => setTimeout(r, 250))
    }
    t.fail(`${what} within ${timeoutMs} ms; ALERTS: ${JSON.stringify(last)}`)
    return last
  }
  const named = (a: Labels[], name: string): Labels[] => a.filter((l) => l.alertname === name)

  // Prometheus starts before the adapter listens, so the down alert is pending at first; the first good scrape clears it.
  let seen = await waitFor('the outlier pod alert pending and the adapter-down alert cleared', (a) =>
    named(a, 'ForesightPodAnomaly').length > 0 && named(a, 'ForesightAdapterDown').length === 0)
  t.same(named(seen, 'ForesightPodAnomaly').map((l) => [l.namespace, l.policy, l.pod, l.class, l.alertstate]), [['default', 'web', 'web-2', 'error', 'pending']],
    'the workload pod, with the policy\'s namespace (honor_labels keeps it over the adapter pod\'s)')
  const desired = await query('foresight_desired_replicas')
  t.same(desired.map((l) => [l.job, l.namespace, l.policy, l.reason]).sort(), [
    ['foresight/foresight-adapter', 'default', 'web', 'Predicted'],
    ['foresight/foresight-adapter', 'shop', 'api', 'Predicted'],
  ])
  const observed = await query('foresight_observed_load')
  t.same(observed.map((l) => [l.namespace, l.policy]).sort(), [['default', 'web'], ['shop', 'api']], 'the observed load the not-changing alert reads')
  const refresh = await query('foresight_refresh_duration_seconds_count{phase="total"}')
  t.same(refresh.map((l) => [l.namespace, l.pod]), [['foresight', 'foresight-adapter-0']], 'refresh timings carry the adapter pod\'s target labels')
  // (The refresh-time and not-changing alerts look back 10 and 30 minutes, more than this Prometheus has seen.)
  for (const quiet of ['ForesightPolicyServingStaleValue', 'ForesightPolicyServingFallback']) {
    t.same(named(seen, quiet), [], `${quiet} quiet while all is well`)
  }

  proxy.failNext(1_000_000, 503)
  seen = await waitFor('stale value and fallback alerts pending', (a) =>
    named(a, 'ForesightPolicyServingStaleValue').length > 0 && named(a, 'ForesightPolicyServingFallback').length > 0)
  t.same(named(seen, 'ForesightPolicyServingStaleValue').map((l) => [l.namespace, l.policy, l.severity]), [['default', 'web', 'warning']])
  t.same(named(seen, 'ForesightPolicyServingFallback').map((l) => [l.namespace, l.policy, l.severity]), [['shop', 'api', 'critical']])
  t.same(named(seen, 'ForesightAdapterDown'), [], 'the adapter itself is still up')

  adapterClosed = true
  await adapter.close()
  seen = await waitFor('the adapter-down alert pending', (a) => named(a, 'ForesightAdapterDown').length > 0)
  t.same(named(seen, 'ForesightAdapterDown').map((l) => [l.severity, l.alertstate]), [['critical', 'pending']])
})
