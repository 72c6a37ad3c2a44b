import { execFile } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import type { z } from 'zod'
import { adapterConfigSchema } from '../../src/config/adapter-config.js'
import { controllerConfigSchema } from '../../src/config/controller-config.js'
import { loadConfig } from '../../src/config/load.js'
import { webhookConfigSchema } from '../../src/config/webhook-config.js'
import { CHART_DIR } from '../../src/deploy/helm-values.js'
import { packageRoot, packageVersion } from '../../src/util/paths.js'
import { helm, helmSkip, parseManifests, type K8sObject } from '../helpers/helm.js'

// The chart deploy/helm/foresight against deploy/ as kustomize renders it: the same objects, field for field,
// for the default values (deploy/base), certificates.mode=certManager (deploy/overlays/production) and the
// monitoring switches (deploy/monitoring). The only differences allowed are the chart's own labels, the objects
// named in each comparison (the generated certificate Secrets; the Namespace, which `helm install
// --create-namespace` makes), the generated caBundles (checked against the Secrets instead), and the order of
// the --set arguments (the chart writes them sorted by key; each key appears once, so the order has no meaning).
// Then the switches, the values schema, and the rendered arguments loaded by the processes' own loaders.

const execFileP = promisify(execFile)
const ROOT = packageRoot()
const CHART = join(ROOT, CHART_DIR)
const NS = 'foresight'
const CHART_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version']

interface Container { name: string; args?: string[]; ports?: Array<{ name: string; containerPort: number }> }
interface Deployment extends K8sObject { spec: { template: { spec: { containers: Container[] } } } }
interface Secret extends K8sObject { type?: string; data?: Record<string, string> }
interface ClientConfig { caBundle?: string; service?: { namespace: string } }
interface WebhookConfiguration extends K8sObject { webhooks: Array<{ name: string; clientConfig: ClientConfig }> }
interface ApiService extends K8sObject { spec: { caBundle?: string; service: { namespace: string } } }

const skip: string | false = helmSkip

/** helm template with --set for each of `sets` (--set-json for one that starts with "json:"). */
async function template(sets: readonly string[] = [], namespace = NS): Promise<K8sObject[]> {
  const flags = sets.flatMap((s) => (s.startsWith('json:') ? ['--set-json', s.slice(5)] : ['--set', s]))
  const r = await helm(['template', 'foresight', CHART, '--include-crds', '--namespace', namespace, ...flags])
  if (r.code !== 0) throw new Error(`helm template ${sets.join(' ')}: ${r.stderr}`)
  return parseManifests(r.stdout, 'helm template')
}

async function kustomize(dir: string): Promise<K8sObject[]> {
  const { stdout } = await execFileP('kubectl', ['kustomize', join(ROOT, dir)], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })
  return parseManifests(stdout, dir)
}

const key = (o: K8sObject): string => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`
const byKey = (objs: readonly K8sObject[]): Map<string, K8sObject> => new Map(objs.map((o) => [key(o), o]))
const find = <T extends K8sObject>(objs: readonly K8sObject[], kind: string, name: string): T => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name)
  if (o === undefined) throw new Error(`no ${kind} ${name}`)
  return o as T
}

/** The object without what the chart may add: its labels, generated caBundles; --set arguments in key order. */
function comparable(o: K8sObject): K8sObject {
  const c = structuredClone(o)
  const labels = c.metadata.labels
  if (labels !== undefined) {
    for (const l of CHART_LABELS) delete labels[l]
    if (Object.keys(labels).length === 0) delete c.metadata.labels
  }
  if (c.kind === 'APIService') delete (c as ApiService).spec.caBundle
  if (c.kind === 'ValidatingWebhookConfiguration' || c.kind === 'MutatingWebhookConfiguration') {
    for (const w of (c as WebhookConfiguration).webhooks) delete w.clientConfig.caBundle
  }
  if (c.kind === 'Deployment') {
    for (const ctr of (c as Deployment).spec.template.spec.containers) {
      if (ctr.args !== undefined) ctr.args = [...ctr.args.slice(0, 1), ...ctr.args.slice(1).sort()]
    }
  }
  return c
}

function compare(t: Test, chart: readonly K8sObject[], kust: readonly K8sObject[], only: { chart: string[]; kustomize: string[] }): void {
  const c = byKey(chart)
  const k = byKey(kust)
  t.strictSame([...c.keys()].filter((x) => !k.has(x)).sort(), [...only.chart].sort(), 'objects only the chart renders')
  t.strictSame([...k.keys()].filter((x) => !c.has(x)).sort(), [...only.kustomize].sort(), 'objects only kustomize renders')
  for (const [name, obj] of c) {
    const other = k.get(name)
    if (other !== undefined) t.strictSame(comparable(obj), comparable(other), `${name}: the same as kustomize renders it`)
  }
}

/** Every container's --set keys appear once: the chart sorts them, which is only harmless without duplicates. */
function checkDistinctArgs(t: Test, objs: readonly K8sObject[]): void {
  for (const d of objs.filter((o) => o.kind === 'Deployment') as Deployment[]) {
    for (const c of d.spec.template.spec.containers) {
      const keys = (c.args ?? []).filter((a) => a.startsWith('--set=')).map((a) => a.slice(6, a.indexOf('=', 6)))
      t.equal(new Set(keys).size, keys.length, `${d.metadata.name}: each --set key once (${keys.join(' ')})`)
    }
  }
}

const NAMESPACE_ONLY_IN_KUSTOMIZE = [`Namespace /${NS}`]

t.test('Chart.yaml versions follow package.json', async (t) => {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string }
  t.equal(chart.version, packageVersion())
  t.equal(chart.appVersion, packageVersion(), 'appVersion, the default image tag')
})

t.test('helm lint passes, with the default values and with every switch turned', { skip }, async (t) => {
  for (const sets of [[], ['certificates.mode=certManager', 'monitoring.podMonitors.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.dashboard.enabled=true'],
    ['apiService.enabled=false', 'webhook.enabled=false', 'controller.enabled=false', 'networkPolicy.enabled=false', 'certificates.mode=existing']]) {
    const r = await helm(['lint', '--strict', CHART, '--namespace', NS, ...sets.flatMap((s) => ['--set', s])])
    t.equal(r.code, 0, `helm lint --strict ${sets.join(' ')}: ${r.stdout}${r.stderr}`)
    t.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/)
  }
})

t.test('default values: the objects of deploy/base plus generated certificates', { skip }, async (t) => {
  const chart = await template()
  const base = await kustomize('deploy/base')
  compare(t, chart, base, { chart: [`Secret ${NS}/foresight-adapter-tls`, `Secret ${NS}/foresight-webhook-tls`], kustomize: NAMESPACE_ONLY_IN_KUSTOMIZE })
  checkDistinctArgs(t, chart)

  // The Secrets hold a key pair for the name kube-apiserver dials, signed by the CA that every caBundle carries.
  const caBundles = [
    find<ApiService>(chart, 'APIService', 'v1beta1.external.metrics.k8s.io').spec.caBundle,
    ...find<WebhookConfiguration>(chart, 'ValidatingWebhookConfiguration', 'foresight').webhooks.map((w) => w.clientConfig.caBundle),
    ...find<WebhookConfiguration>(chart, 'MutatingWebhookConfiguration', 'foresight').webhooks.map((w) => w.clientConfig.caBundle),
  ]
  t.equal(caBundles.length, 4)
  t.equal(new Set(caBundles).size, 1, 'one CA in all four caBundles')
  const ca = new X509Certificate(Buffer.from(caBundles[0] ?? '', 'base64'))
  t.ok(ca.ca, 'the caBundle is a CA certificate')
  for (const component of ['adapter', 'webhook']) {
    const secret = find<Secret>(chart, 'Secret', `foresight-${component}-tls`)
    t.equal(secret.type, 'kubernetes.io/tls')
    const pem = (k: string): string => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8')
    const cert = new X509Certificate(pem('tls.crt'))
    t.ok(cert.verify(ca.publicKey), `${component}: signed by the caBundle's CA`)
    t.ok(cert.checkPrivateKey(createPrivateKey(pem('tls.key'))), `${component}: tls.key matches tls.crt`)
    t.match(cert.subjectAltName, `DNS:foresight-${component}.${NS}.svc`, `${component}: for the name kube-apiserver dials`)
    t.equal(pem('ca.crt'), ca.toString(), `${component}: ca.crt is the caBundle's CA`)
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000
    t.ok(days > 360 && days <= 366, `${component}: valid for certificates.generate.validityDays (365), ${days.toFixed(1)} days left`)
  }
})

t.test('certificates.mode=existing: exactly deploy/base', { skip }, async (t) => {
  compare(t, await template(['certificates.mode=existing']), await kustomize('deploy/base'), { chart: [], kustomize: NAMESPACE_ONLY_IN_KUSTOMIZE })
  const withCa = await template(['certificates.mode=existing', 'certificates.existing.caBundle=Q0E='])
  t.equal(find<ApiService>(withCa, 'APIService', 'v1beta1.external.metrics.k8s.io').spec.caBundle, 'Q0E=', 'the given caBundle on the APIService')
  t.strictSame(find<WebhookConfiguration>(withCa, 'ValidatingWebhookConfiguration', 'foresight').webhooks.map((w) => w.clientConfig.caBundle), ['Q0E=', 'Q0E='], 'and on the webhooks')
  const without = await template(['certificates.mode=existing'])
  t.equal(find<ApiService>(without, 'APIService', 'v1beta1.external.metrics.k8s.io').spec.caBundle, undefined, 'none when none is given')
})

t.test('certificates.mode=certManager: exactly deploy/overlays/production', { skip }, async (t) => {
  const chart = await template(['certificates.mode=certManager'])
  compare(t, chart, await kustomize('deploy/overlays/production'), { chart: [], kustomize: NAMESPACE_ONLY_IN_KUSTOMIZE })
  t.equal(find(chart, 'APIService', 'v1beta1.external.metrics.k8s.io').metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/foresight-adapter`)
})

t.test('monitoring switches: the objects of deploy/monitoring', { skip }, async (t) => {
  const kinds = new Set(['PodMonitor', 'PrometheusRule', 'ConfigMap'])
  const chart = (await template(['monitoring.podMonitors.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.dashboard.enabled=true'])).filter((o) => kinds.has(o.kind))
  compare(t, chart, await kustomize('deploy/monitoring'), { chart: [], kustomize: [] })
  const off = (await template()).filter((o) => kinds.has(o.kind))
  t.strictSame(off, [], 'off by default: they need the Prometheus Operator CRDs')

  // In another namespace the alerts name the jobs there (a PodMonitor's job is <namespace>/<name>).
  const ops = await template(['monitoring.prometheusRule.enabled=true', 'monitoring.prometheusRule.labels.release=kps'], 'ops')
  const rule = find(ops, 'PrometheusRule', 'foresight')
  const text = JSON.stringify(rule)
  t.match(text, 'job=\\"ops/foresight-adapter\\"')
  t.notMatch(text, 'job=\\"foresight/', 'no job of the namespace foresight left')
  t.equal(rule.metadata.labels?.release, 'kps', 'extra labels for the Prometheus ruleSelector')
})

t.test('switches remove exactly their objects', { skip }, async (t) => {
  const keys = async (sets: string[]): Promise<string[]> => (await template(sets)).map(key).sort()
  const all = await keys([])
  const without = async (sets: string[]): Promise<string[]> => {
    const some = new Set(await keys(sets))
    return all.filter((k) => !some.has(k))
  }
  t.strictSame(await without(['apiService.enabled=false']), [
    'APIService /v1beta1.external.metrics.k8s.io', 'ClusterRole /foresight-external-metrics-reader', 'ClusterRoleBinding /foresight-hpa-external-metrics',
  ], 'KEDA mode: no APIService, and no HPA access to it')
  t.strictSame(await without(['webhook.enabled=false']), [
    'ClusterRole /foresight-webhook', 'ClusterRoleBinding /foresight-webhook', `Deployment ${NS}/foresight-webhook`,
    'MutatingWebhookConfiguration /foresight', `NetworkPolicy ${NS}/foresight-webhook`, `PodDisruptionBudget ${NS}/foresight-webhook`,
    `Secret ${NS}/foresight-webhook-tls`, `Service ${NS}/foresight-webhook`, `ServiceAccount ${NS}/foresight-webhook`, 'ValidatingWebhookConfiguration /foresight',
  ])
  t.strictSame(await without(['controller.enabled=false']), [
    'ClusterRole /foresight-controller', 'ClusterRoleBinding /foresight-controller', `Deployment ${NS}/foresight-controller`,
    `NetworkPolicy ${NS}/foresight-controller`, `PodDisruptionBudget ${NS}/foresight-controller`, `Role ${NS}/foresight-controller-leader`,
    `RoleBinding ${NS}/foresight-controller-leader`, `ServiceAccount ${NS}/foresight-controller`,
  ])
  t.strictSame(await without(['networkPolicy.enabled=false']), all.filter((k) => k.startsWith('NetworkPolicy ')))
  t.strictSame(await without(['certificates.mode=existing']), [`Secret ${NS}/foresight-adapter-tls`, `Secret ${NS}/foresight-webhook-tls`])
})

t.test('the values schema refuses what the processes would refuse', { skip }, async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['adapter.config.sourceUrl=http://p:9090'], /\/adapter\/config.*additional properties 'sourceUrl' not allowed/],
    [['controller.config.reconcile.outlierThreshold=2'], /\/controller\/config\/reconcile\/outlierThreshold/],
    [['webhook.config.logLevel=loud'], /\/webhook\/config\/logLevel/],
    [['certificates.mode=selfSigned'], /\/certificates\/mode'?: value must be one of/],
    [['imageTag=1.0'], /additional properties 'imageTag' not allowed/],
    [['image.digest=latest'], /\/image\/digest/],
    [['controller.config.reconcile.outlierThreshold=0.9'], /outlierThreshold'?: got string, want number/],
  ]
  for (const [sets, expected] of cases) {
    const r = await helm(['template', 'foresight', CHART, '--namespace', NS, ...sets.flatMap((s) => ['--set', s])])
    t.not(r.code, 0, `${sets.join(' ')} is refused`)
    t.match(r.stderr, expected, `${sets.join(' ')}: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
  }
})

t.test('the rendered arguments load with the processes\' configuration loaders', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-helm-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The loaders check that files exist; the chart's paths are those of the mounted Secret.
  for (const f of ['tls.crt', 'tls.key', 'api-key']) writeFileSync(join(dir, f), 'x')
  const objs = await template([
    'adapter.config.auth.requestHeader.allowedNames={front-proxy-client,aggregator}', 'adapter.config.listen.port=7443',
    'adapter.config.engine.refreshIntervalMs=30000', 'webhook.config.maxBodyBytes=2097152',
    // --set reads 0.9 as a string (only whole numbers and booleans are converted), which the schema refuses.
    'json:controller.config.reconcile.outlierThreshold=0.9',
    'controller.config.leaderElection.leaseName=fs-leader',
    // A mapping of free names goes as one JSON value, not one --set per name.
    'json:adapter.config.source.headers={"X-Scope-OrgID":"team-a","X-Extra":"b, c"}',
    `adapter.config.source.headerFiles.X-Api-Key=${join(dir, 'api-key')}`,
  ], 'ops')
  const load = <S extends z.ZodType>(name: string, schema: S): Readonly<z.output<S>> => {
    const c = find<Deployment>(objs, 'Deployment', `foresight-${name}`).spec.template.spec.containers[0]
    t.equal(c?.args?.[0], name, `${name}: the subcommand first`)
    const set = (c?.args ?? []).slice(1).map((a) => a.replace(/^--set=/, '').replace('/var/run/foresight/tls', dir))
    return loadConfig(schema, { set, env: {} })
  }
  const adapter = load('adapter', adapterConfigSchema)
  t.strictSame(adapter.auth.requestHeader.allowedNames, ['front-proxy-client', 'aggregator'], 'a list')
  t.equal(adapter.engine.refreshIntervalMs, 30_000)
  t.equal(adapter.listen.port, 7443)
  t.equal(adapter.auth.mode, 'kubernetes')
  t.equal(adapter.source.kind === 'prometheus' ? adapter.source.url : '', 'http://prometheus-operated.monitoring.svc:9090')
  t.equal(adapter.tls.certFile, join(dir, 'tls.crt'), 'the mounted certificate')
  t.strictSame(adapter.source.kind === 'prometheus' ? adapter.source.headers : {}, { 'X-Scope-OrgID': 'team-a', 'X-Extra': 'b, c' }, 'headers: one JSON mapping')
  t.strictSame(adapter.source.kind === 'prometheus' ? adapter.source.headerFiles : {}, { 'X-Api-Key': join(dir, 'api-key') }, 'headerFiles: one JSON mapping')
  const webhook = load('webhook', webhookConfigSchema)
  t.equal(webhook.maxBodyBytes, 2_097_152, 'a large number stays a plain number')
  t.equal(webhook.shutdownDelayMs, 5000)
  const controller = load('controller', controllerConfigSchema)
  t.equal(controller.reconcile.outlierThreshold, 0.9, 'a fraction')
  t.equal(controller.leaderElection.leaseNamespace, 'ops', 'the Lease in the release namespace')

  // Ports and names follow the configuration wherever they appear.
  const adapterPod = find<Deployment>(objs, 'Deployment', 'foresight-adapter').spec.template.spec.containers[0]
  t.equal(adapterPod?.ports?.find((p) => p.name === 'https')?.containerPort, 7443, 'containerPort follows listen.port')
  t.match(JSON.stringify(find(objs, 'NetworkPolicy', 'foresight-adapter')), '"port":7443', 'and the NetworkPolicy')
  t.match(JSON.stringify(find(objs, 'Role', 'foresight-controller-leader')), '"resourceNames":["fs-leader"]', 'the Lease name in the leader Role')
})

t.test('another release namespace: every reference follows it', { skip }, async (t) => {
  const objs = await template([], 'ops')
  for (const o of objs) {
    const clusterScoped = ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']
    if (clusterScoped.includes(o.kind)) continue
    const expected = o.metadata.name === 'foresight-adapter-auth-reader' ? 'kube-system' : 'ops'
    t.equal(o.metadata.namespace, expected, `${o.kind} ${o.metadata.name} in ${expected}`)
  }
  const text = objs.map((o) => JSON.stringify(o)).join('\n')
  t.notMatch(text, /"namespace":"foresight"/, 'no reference to the namespace foresight')
  t.equal(find<ApiService>(objs, 'APIService', 'v1beta1.external.metrics.k8s.io').spec.service.namespace, 'ops')
  const cert = new X509Certificate(Buffer.from(find<Secret>(objs, 'Secret', 'foresight-webhook-tls').data?.['tls.crt'] ?? '', 'base64'))
  t.match(cert.subjectAltName, 'DNS:foresight-webhook.ops.svc')
})
