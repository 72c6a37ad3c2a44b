import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import type { RunningAdapter } from '../../src/api/api-server.js'
import { explainFromCluster } from '../../src/commands/explain.js'
import type { ServedExplanation } from '../../src/explain/served.js'
import { startTestAdapter } from '../helpers/adapter.js'
import { runCli } from '../helpers/cli.js'
import { call } from '../helpers/https-client.js'
import { freePort } from '../helpers/prometheus.js'
import { makeTestPki } from '../helpers/pki.js'

// `foresight explain` against a real adapter (local mode, the embedded demo policy, TLS verified with the test CA)
// through a kubeconfig that points at it, as a user's kubeconfig points at kube-apiserver. The adapter has no
// ForesightPolicy resource, so explain shows what is served and says the status is not available here.

const pki = makeTestPki()
const dir = mkdtempSync(join(tmpdir(), 'foresight-explain-'))
let adapter: RunningAdapter

function kubeconfig(server: string, namespace = 'default'): string {
  const file = join(dir, `kubeconfig-${Math.random().toString(16).slice(2)}`)
  writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster: {server: '${server}', certificate-authority-data: ${Buffer.from(pki.servingCA.certPem).toString('base64')}}
users:
  - name: nobody
    user: {}
contexts:
  - name: adapter
    context: {cluster: local, user: nobody, namespace: ${namespace}}
  - name: elsewhere
    context: {cluster: local, user: nobody, namespace: other}
current-context: elsewhere
`)
  return file
}

t.before(async () => {
  adapter = await startTestAdapter([`tls.certFile=${pki.servingFiles.certFile}`, `tls.keyFile=${pki.servingFiles.keyFile}`, 'engine.refreshIntervalMs=600000'])
})
t.teardown(() => adapter.close())

const desiredPath = '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas?labelSelector=foresight.dev%2Fpolicy%3Ddemo'

t.test('-o json: the values the adapter serves, parsed; the status not available from an adapter', async (t) => {
  const kc = kubeconfig(adapter.apiUrl)
  const r = await runCli(['explain', 'demo', '--kubeconfig', kc, '--context', 'adapter', '-o', 'json'])
  t.equal(r.code, 0, r.stderr)
  const e = JSON.parse(r.stdout) as ServedExplanation
  const direct = (await call(`${adapter.apiUrl}${desiredPath}`, { ca: pki.servingCA.certPem })).json() as { items: Array<{ value: string; metricLabels: Record<string, string> }> }
  // The refresh interval is ten minutes: both reads see the same refresh.
  t.equal(e.served.desiredReplicas?.quantity, direct.items[0]?.value, 'the desired replicas the adapter serves')
  t.equal(e.served.desiredReplicas?.reason, direct.items[0]?.metricLabels['foresight.dev/reason'])
  t.same(e.served.forecast.map((f) => f.quantile), ['0.1', '0.5', '0.9'], 'three forecast quantiles')
  t.ok(e.served.forecast.every((f, i, all) => i === 0 || f.value >= (all[i - 1]?.value ?? 0)), 'quantiles ordered by value')
  t.ok(e.served.observed !== undefined && e.served.observed.value >= 0, 'the observed load')
  t.ok(e.served.anomaly.length >= 1 && e.served.anomaly.every((a) => a.value >= 0 && a.value <= 1), 'the anomaly score in [0,1]')
  t.equal(e.policy, undefined, 'no ForesightPolicy resource on an adapter')
  t.match(e, { namespace: 'default', name: 'demo' }, 'the namespace from the chosen context')
})

// The rest in-process (the same code the CLI runs after parsing its flags): a CLI start each is slow on a busy machine.
const explain = (target: string, opts: Parameters<typeof explainFromCluster>[1]): Promise<{ text: string; served: boolean }> => explainFromCluster(target, opts)
const failure = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (err: unknown) => (err as Error).message)

t.test('-o yaml and text; <namespace>/<policy> and -n', async (t) => {
  const kc = kubeconfig(adapter.apiUrl)
  const y = await explain('default/demo', { kubeconfig: kc, output: 'yaml' })
  t.ok(y.served)
  t.match(parse(y.text), { namespace: 'default', name: 'demo', served: { desiredReplicas: { reason: /^(Predicted|ColdStart)$/ } } })
  const text = (await explain('demo', { namespace: 'default', kubeconfig: kc, output: 'text' })).text
  t.match(text, /^policy\s+default\/demo$/m)
  t.match(text, /^served\s+\d+ replicas \((Predicted|ColdStart)\) at \d{4}-/m)
  t.match(text, /^forecast\s+p10 [\d.]+ {2}p50 [\d.]+ {2}p90 [\d.]+/m)
  t.match(text, /^policy status\s+not shown: this server has no ForesightPolicy resource/m)
})

t.test('clear errors: no such policy, unknown context, nothing listening, bad -o', async (t) => {
  const kc = kubeconfig(adapter.apiUrl)
  const missing = await runCli(['explain', 'nope', '-n', 'default', '--kubeconfig', kc])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^no such policy: nothing is served for foresight\.dev\/policy=nope in namespace "default"/m)
  t.equal(await failure(explain('demo', { kubeconfig: kc, context: 'prod', output: 'text' })), 'no context "prod" in the kubeconfig (contexts: adapter, elsewhere)')
  const port = await freePort()
  t.match(await failure(explain('demo', { kubeconfig: kubeconfig(`https://127.0.0.1:${port}`), output: 'text' })), new RegExp(`^unable to reach the cluster at https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`))
  t.equal(await failure(explain('demo', { kubeconfig: kc, output: 'wide' })), 'unknown output format "wide": one of text, json, yaml')
  t.match(await failure(explain('default/demo', { namespace: 'prod', kubeconfig: kc, output: 'text' })), /names namespace default but --namespace says prod/)
})
