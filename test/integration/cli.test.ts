import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { call } from '../helpers/https-client.js'
import { makeTestPki } from '../helpers/pki.js'

const cli = ['--import', 'tsx', 'cmd/foresight.ts']

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ReturnType<typeof spawn>; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exit }
}

t.test('adapter starts, prints working curl commands, and stops cleanly on SIGTERM', async (t) => {
  const p = run(['adapter', '--set', 'listen.port=0', '--set', 'metrics.port=0', '--set', 'logLevel=warn'])
  t.teardown(() => { p.child.kill('SIGKILL') })
  const until = Date.now() + 20_000
  while (!p.stdout().includes('labelSelector=') && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
  const urls = [...p.stdout().matchAll(/curl -sk '([^']+)'/g)].map((m) => m[1] ?? '')
  t.ok(urls.length >= 2, 'prints curl commands')
  for (const url of urls) {
    const res = await call(url, { ca: undefined })
    t.equal(res.status, 200, url)
  }
  const values = urls.filter((u) => u.includes('foresight_desired_replicas'))
  t.match((await call(values[0] ?? '', { ca: undefined })).json(), { kind: 'ExternalMetricValueList', items: [{ metricName: 'foresight_desired_replicas' }] })
  p.child.kill('SIGTERM')
  t.equal(await p.exit, 0, 'exit code 0 after SIGTERM')
})

t.test('bad configuration: precise message, exit code 1', async (t) => {
  const p = run(['adapter', '--set', 'tls.certFile=/nonexistent/tls.crt', '--set', 'tls.keyFile=/nonexistent/tls.key'])
  t.equal(await p.exit, 1)
  t.match(p.stderr(), /^unable to load config: 2 problems\n {2}- tls\.certFile: file not found\n {2}- tls\.keyFile: file not found$/m)
  const spaced = run(['adapter', '--set', 'listen.port', '8443'])
  t.equal(await spaced.exit, 1)
  t.match(spaced.stderr(), /too many arguments[\s\S]*hint: --set takes one argument, key=value/)
  const q = run(['adapter', '--set', 'listen.host=0.0.0.0'])
  t.equal(await q.exit, 1)
  t.match(q.stderr(), /listen\.host: auth\.mode local serves loopback addresses only/)
})

t.test('outside a pod and without a kubeconfig, the cluster commands name the missing setting', async (t) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBERNETES_')))
  const controller = run(['controller'], env)
  t.equal(await controller.exit, 1)
  t.match(controller.stderr(), /^unable to start controller: no cluster to talk to: not running in a pod with a service account, and kubeconfig is not set/m)
  const pki = makeTestPki()
  const adapter = run(['adapter', '--set', 'auth.mode=kubernetes', '--set', `tls.certFile=${pki.servingFiles.certFile}`, '--set', `tls.keyFile=${pki.servingFiles.keyFile}`], env)
  t.equal(await adapter.exit, 1)
  t.match(adapter.stderr(), /^unable to load the cluster configuration: no cluster to talk to: .* auth\.kubeconfig is not set/m)
  t.notMatch(controller.stderr() + adapter.stderr(), /Invalid URL/)
})

t.test('a corrupt model file stops start-up with a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-cli-'))
  const model = join(dir, 'model.onnx')
  writeFileSync(model, 'not a model')
  const p = run(['adapter', '--set', 'listen.port=0', '--set', 'metrics.port=0', '--set', `model.file=${model}`])
  t.equal(await p.exit, 1)
  t.match(p.stderr(), /^unable to load model .*model\.onnx: sha256 [0-9a-f]{64} does not match the metadata's [0-9a-f]{64} \(wrong or corrupt file\)$/m)
})

t.test('--help', async (t) => {
  const p = run(['--help'])
  t.equal(await p.exit, 0)
  t.match(p.stdout(), /adapter.*Serve ML-predicted metrics/)
  const q = run(['adapter', '--help'])
  t.equal(await q.exit, 0)
  t.match(q.stdout(), /--config <file>/)
  t.match(q.stdout(), /FORESIGHT_LISTEN__PORT/)
  const v = run(['--version'])
  t.equal(await v.exit, 0)
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
  t.equal(v.stdout().trim(), version, '--version prints the package version')
})

t.test('explain shows how the demo policy is derived; unknown policies are a clear error', async (t) => {
  const p = run(['explain', 'default/demo', '--local'])
  t.equal(await p.exit, 0)
  t.match(p.stdout(), /^policy\s+default\/demo$/m)
  t.match(p.stdout(), /^served\s+\d+\s+\(Predicted\)$/m)
  t.match(p.stdout(), /observed load\s+[\d.]+ -> \d+ replicas at 0\.25 per replica/)
  t.match(p.stdout(), /model\s+\d+\.\d+\.\d+/)
  const q = run(['explain', 'nope', '-n', 'default', '--local'])
  t.equal(await q.exit, 1)
  t.match(q.stderr(), /^unable to explain default\/nope: no such policy$/m)
  const r = run(['explain', 'a/b/c', '--local'])
  t.equal(await r.exit, 1)
  t.match(r.stderr(), /expected <policy> or <namespace>\/<policy>/)
  // Nothing to serve (Prometheus refuses the connection): the report still comes, on stdout without log lines, and
  // the exit code says it failed.
  const down = run(['explain', 'default/demo', '--set', 'source.kind=prometheus', '--set', 'source.url=http://127.0.0.1:1'])
  t.equal(await down.exit, 1)
  t.match(down.stdout(), /^policy\s+default\/demo$/m)
  t.notMatch(down.stdout(), /"level":/, 'no JSON log lines in the report')
  t.match(down.stderr(), /"level":"(debug|info|warn|error)"/, 'the logs went to stderr, levels by name')
})

t.test('webhook starts on a self-signed loopback certificate, answers a real AdmissionReview, stops on SIGTERM', async (t) => {
  const p = run(['webhook', '--set', 'listen.port=0', '--set', 'tls.selfSigned=true', '--set', 'lookups.enabled=false', '--set', 'logLevel=info'])
  t.teardown(() => { p.child.kill('SIGKILL') })
  const until = Date.now() + 20_000
  let url: string | undefined
  while (url === undefined && Date.now() < until) {
    url = /"url":"(https:\/\/[^"]+)"/.exec(p.stdout())?.[1]
    await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(url, 'logs its URL')
  const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind: { group: 'foresight.dev', version: 'v1alpha1', kind: 'ForesightPolicy' }, resource: { group: 'foresight.dev', version: 'v1alpha1', resource: 'foresightpolicies' }, operation: 'CREATE', namespace: 'default', name: 'x', object: { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'x', namespace: 'default' }, spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(x[2m]', capacityPerReplica: 1 }, maxReplicas: 5 } }, userInfo: { username: 'u' }, dryRun: false } }
  const res = await call(`${url ?? ''}/validate/foresightpolicies`, { ca: undefined, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(review) })
  t.equal(res.status, 200)
  t.match(res.json(), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: false, status: { message: /load\.query/ } } })
  p.child.kill('SIGTERM')
  t.equal(await p.exit, 0, 'exit code 0 after SIGTERM')
})
