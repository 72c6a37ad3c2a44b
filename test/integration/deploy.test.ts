import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { parseAllDocuments } from 'yaml'
import { checkPromQL } from '../../src/policy/promql.js'
import { packageRoot } from '../../src/util/paths.js'
import { METRIC_NAMES } from '../../src/names.js'

// The manifests under deploy/ as kustomize renders them, checked for the properties a reviewer would otherwise
// have to check by eye: hardened pods, the APIService and webhook settings, least-privilege RBAC, the overlays'
// wiring, and alerts and dashboard queries that parse and name metrics Foresight really exports.
// Server-side validation (kubectl apply --dry-run=server against a real kube-apiserver) is the e2e suite's job
// (test/e2e/e2e.test.ts), which installs the CRD first; nothing here needs or touches a cluster.

const execFileP = promisify(execFile)
const ROOT = packageRoot()

interface Meta { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface K8sObject { apiVersion: string; kind: string; metadata: Meta; [key: string]: unknown }

interface Probe { httpGet?: { path?: string; port?: string | number } }
interface SecurityContext {
  runAsNonRoot?: boolean
  runAsUser?: number
  readOnlyRootFilesystem?: boolean
  allowPrivilegeEscalation?: boolean
  privileged?: boolean
  seccompProfile?: { type?: string }
  capabilities?: { drop?: string[]; add?: string[] }
}
interface Container {
  name: string
  image?: string
  args?: string[]
  securityContext?: SecurityContext
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  readinessProbe?: Probe
  livenessProbe?: Probe
}
interface PodSpec {
  securityContext?: SecurityContext
  containers: Container[]
  initContainers?: Container[]
  hostNetwork?: boolean
  hostPID?: boolean
  volumes?: Array<{ name: string; secret?: { secretName: string } }>
}
interface Deployment extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }
}
interface Pdb extends K8sObject { spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } } }
interface PolicyRule { apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceURLs?: string[]; resourceNames?: string[] }
interface Role extends K8sObject { rules?: PolicyRule[] }
interface RoleBinding extends K8sObject { roleRef: { kind: string; name: string }; subjects?: Array<{ kind: string; name: string; namespace?: string }> }
interface ApiService extends K8sObject {
  spec: { group: string; version: string; service?: { name: string; namespace: string; port?: number }; caBundle?: string; insecureSkipTLSVerify?: boolean }
}
interface Webhook {
  name: string
  failurePolicy?: string
  timeoutSeconds?: number
  sideEffects?: string
  clientConfig: { url?: string; caBundle?: string; service?: { name: string; namespace: string; path?: string; port?: number } }
}
interface WebhookConfiguration extends K8sObject { webhooks: Webhook[] }
interface Service extends K8sObject { spec: { type?: string; externalName?: string; selector?: Record<string, string>; ports?: Array<{ name?: string; port: number }> } }
interface NetworkPolicyPeer { namespaceSelector?: { matchLabels?: Record<string, string> }; podSelector?: unknown; ipBlock?: unknown }
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> }
    policyTypes?: string[]
    ingress?: Array<{ ports?: Array<{ port: number | string; protocol?: string }>; from?: NetworkPolicyPeer[] }>
  }
}
interface Certificate extends K8sObject { spec: { secretName: string; dnsNames?: string[]; isCA?: boolean; issuerRef: { kind?: string; name: string } } }
interface Issuer extends K8sObject { spec: { selfSigned?: object; ca?: { secretName: string } } }
interface Hpa extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind: string; name: string }
    minReplicas?: number
    maxReplicas: number
    metrics?: Array<{
      type: string
      external?: { metric: { name: string; selector?: { matchLabels?: Record<string, string> } }; target: { type: string; averageValue?: string | number } }
    }>
    behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } }
  }
}
interface PolicyObject extends K8sObject { spec: { scaleTargetRef: { kind?: string; name: string }; minReplicas?: number; maxReplicas: number } }
interface AlertRule { alert?: string; record?: string; expr: string | number; for?: string; labels?: Record<string, string> }
interface PrometheusRule extends K8sObject { spec: { groups: Array<{ name: string; rules: AlertRule[] }> } }
interface ConfigMap extends K8sObject { data?: Record<string, string> }
interface GrafanaTarget { expr?: string; refId?: string }
interface GrafanaPanel { id?: number; type?: string; title?: string; targets?: GrafanaTarget[]; panels?: GrafanaPanel[]; datasource?: { type?: string; uid?: string } }
interface GrafanaVariable { name: string; type: string; query?: unknown }
interface GrafanaDashboard { title?: string; uid?: string; panels?: GrafanaPanel[]; templating?: { list?: GrafanaVariable[] } }

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

const skip: string | false = kubectlAvailable() ? false : 'kubectl not found on PATH: the manifests are rendered with `kubectl kustomize`'

async function kustomize(dir: string): Promise<K8sObject[]> {
  const { stdout } = await execFileP('kubectl', ['kustomize', join(ROOT, dir)], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })
  const objects: K8sObject[] = []
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors.map((e) => e.message).join('; ')}`)
    const value = doc.toJS() as unknown
    if (value === null || value === undefined) continue
    objects.push(value as K8sObject)
  }
  return objects
}

const ofKind = <T extends K8sObject>(objs: readonly K8sObject[], kind: string): T[] => objs.filter((o) => o.kind === kind) as T[]
const named = <T extends K8sObject>(objs: readonly K8sObject[], kind: string, name: string): T | undefined =>
  ofKind<T>(objs, kind).find((o) => o.metadata.name === name)

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}

/** Hardening every Deployment we ship must have, the example app included. */
function checkDeployment(t: Test, d: Deployment): void {
  const pod = d.spec.template.spec
  const where = `${d.metadata.namespace ?? ''}/${d.metadata.name}`
  t.notOk(pod.hostNetwork === true || pod.hostPID === true, `${where}: no host namespaces`)
  t.equal(pod.securityContext?.runAsNonRoot, true, `${where}: pod runAsNonRoot`)
  t.not(pod.securityContext?.runAsUser, 0, `${where}: not uid 0`)
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const sc = c.securityContext ?? {}
    const cw = `${where} container ${c.name}`
    t.equal(sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${cw}: seccomp RuntimeDefault`)
    t.not(sc.runAsNonRoot, false, `${cw}: does not undo runAsNonRoot`)
    t.not(sc.runAsUser, 0, `${cw}: not uid 0`)
    t.equal(sc.readOnlyRootFilesystem, true, `${cw}: readOnlyRootFilesystem`)
    t.equal(sc.allowPrivilegeEscalation, false, `${cw}: allowPrivilegeEscalation false`)
    t.not(sc.privileged, true, `${cw}: not privileged`)
    t.ok(sc.capabilities?.drop?.includes('ALL'), `${cw}: drops ALL capabilities`)
    t.same(sc.capabilities?.add ?? [], [], `${cw}: adds no capability`)
    t.ok(c.resources?.requests?.cpu !== undefined && c.resources.requests.memory !== undefined, `${cw}: cpu and memory requests`)
    t.ok(c.resources?.limits?.memory !== undefined, `${cw}: memory limit`)
    t.ok(c.readinessProbe?.httpGet !== undefined, `${cw}: readiness probe`)
    t.ok(c.livenessProbe?.httpGet !== undefined, `${cw}: liveness probe`)
  }
}

function checkAdapterAvailability(t: Test, objs: readonly K8sObject[]): void {
  const adapter = named<Deployment>(objs, 'Deployment', 'foresight-adapter')
  if (adapter === undefined) throw new Error('no adapter Deployment')
  t.equal(adapter.spec.replicas, 2, 'the adapter runs 2 replicas')
  const pdbs = ofKind<Pdb>(objs, 'PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels, adapter.spec.template.metadata.labels))
  t.equal(pdbs.length, 1, 'one PodDisruptionBudget selects the adapter pods')
  t.equal(pdbs[0]?.spec.minAvailable, 1, 'and keeps one available')
  t.equal(pdbs[0]?.metadata.namespace, 'foresight')
  for (const d of ofKind<Deployment>(objs, 'Deployment')) {
    const n = d.spec.replicas ?? 1
    if (n < 2) continue
    t.ok(ofKind<Pdb>(objs, 'PodDisruptionBudget').some((p) => selects(p.spec.selector.matchLabels, d.spec.template.metadata.labels)), `${d.metadata.name} (${n} replicas) has a PodDisruptionBudget`)
  }
}

/** RBAC: no wildcard verb anywhere; a wildcard resource or group only in the documented HPA reader rule. */
function checkRbac(t: Test, objs: readonly K8sObject[]): void {
  const roles = [...ofKind<Role>(objs, 'ClusterRole'), ...ofKind<Role>(objs, 'Role')]
  t.ok(roles.length > 0, 'there are roles to check')
  const wildcards: Array<{ role: string; rule: PolicyRule }> = []
  for (const r of roles) {
    for (const rule of r.rules ?? []) {
      t.notOk(rule.verbs.includes('*'), `${r.kind} ${r.metadata.name}: no * verb`)
      t.notOk(rule.verbs.some((v) => ['escalate', 'bind', 'impersonate'].includes(v)), `${r.kind} ${r.metadata.name}: no escalate/bind/impersonate`)
      t.notOk((rule.nonResourceURLs ?? []).includes('*'), `${r.kind} ${r.metadata.name}: no * non-resource URL`)
      if ((rule.resources ?? []).includes('*') || (rule.apiGroups ?? []).includes('*')) wildcards.push({ role: r.metadata.name, rule })
      t.notOk((rule.resources ?? []).some((res) => res === 'secrets'), `${r.kind} ${r.metadata.name}: no access to Secrets`)
    }
  }
  // The one documented exception (deploy/base/rbac.yaml): the HPA controller reads every metric of the group.
  t.same(wildcards, [{ role: 'foresight-external-metrics-reader', rule: { apiGroups: ['external.metrics.k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] } }],
    'the only wildcard is the HPA reader rule on external.metrics.k8s.io resources')
  const hpaBinding = named<RoleBinding>(objs, 'ClusterRoleBinding', 'foresight-hpa-external-metrics')
  t.same(hpaBinding?.subjects, [{ kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' }], 'bound to the HPA controller only')
  for (const b of [...ofKind<RoleBinding>(objs, 'ClusterRoleBinding'), ...ofKind<RoleBinding>(objs, 'RoleBinding')]) {
    t.not(b.roleRef.name, 'cluster-admin', `${b.metadata.name}: never cluster-admin`)
  }
  // The adapter's own rights, exactly: a new right must be added here on purpose.
  t.same(named<Role>(objs, 'ClusterRole', 'foresight-adapter')?.rules, [
    { apiGroups: ['foresight.dev'], resources: ['foresightpolicies'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['foresight.dev'], resources: ['foresightpolicies/status'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
  ], 'the adapter reads policies, writes their status, reads scales, creates Events: nothing else')
  const authReader = named<RoleBinding>(objs, 'RoleBinding', 'foresight-adapter-auth-reader')
  t.equal(authReader?.metadata.namespace, 'kube-system', 'the auth-reader RoleBinding stays in kube-system, where its Role is')
}

function checkWebhooks(t: Test, objs: readonly K8sObject[]): { validating: WebhookConfiguration; mutating: WebhookConfiguration } {
  const validating = named<WebhookConfiguration>(objs, 'ValidatingWebhookConfiguration', 'foresight')
  const mutating = named<WebhookConfiguration>(objs, 'MutatingWebhookConfiguration', 'foresight')
  if (validating === undefined || mutating === undefined) throw new Error('webhook configurations missing')
  const hook = (c: WebhookConfiguration, name: string): Webhook | undefined => c.webhooks.find((w) => w.name === name)
  t.equal(hook(validating, 'foresightpolicies.foresight.dev')?.failurePolicy, 'Fail', 'ForesightPolicy validation fails closed')
  t.equal(hook(mutating, 'defaults.foresightpolicies.foresight.dev')?.failurePolicy, 'Fail', 'ForesightPolicy defaulting fails closed')
  t.equal(hook(validating, 'hpas.foresight.dev')?.failurePolicy, 'Ignore', 'the HPA webhook fails open')
  for (const w of [...validating.webhooks, ...mutating.webhooks]) {
    t.ok(w.timeoutSeconds !== undefined && w.timeoutSeconds <= 10, `${w.name}: timeoutSeconds ${String(w.timeoutSeconds)} <= 10`)
    t.equal(w.sideEffects, 'None', `${w.name}: sideEffects None`)
  }
  return { validating, mutating }
}

const APISERVICE = 'v1beta1.external.metrics.k8s.io'

function apiService(t: Test, objs: readonly K8sObject[]): ApiService {
  const list = ofKind<ApiService>(objs, 'APIService')
  t.equal(list.length, 1, 'one APIService')
  const a = list[0]
  if (a === undefined) throw new Error('no APIService')
  t.equal(a.metadata.name, APISERVICE)
  t.equal(a.spec.group, 'external.metrics.k8s.io')
  t.equal(a.spec.version, 'v1beta1')
  t.not(a.spec.insecureSkipTLSVerify, true, 'TLS to the adapter is verified')
  return a
}

/** Metric names the code defines (the catalogue's, and `name: 'foresight_...'`), with the series a histogram adds. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>(METRIC_NAMES)
  for (const file of ['src/engine/loop.ts', 'src/engine/gauges.ts', 'src/remediation/metrics.ts', 'src/telemetry/http-metrics.ts']) {
    const src = readFileSync(join(ROOT, file), 'utf8')
    for (const m of src.matchAll(/name: '(foresight_[a-z_]+)'/g)) {
      const n = m[1]
      if (n === undefined) continue
      names.add(n)
      for (const s of ['_bucket', '_sum', '_count']) names.add(n + s)
    }
  }
  return names
}

/** Grafana's variables replaced by values, so the query is plain PromQL. */
const grafanaToPromQL = (expr: string): string =>
  expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$horizon', '5m').replace(/\$\{?(\w+)\}?/g, 'x')

function checkQuery(t: Test, where: string, expr: string, known: ReadonlySet<string>): void {
  t.ok(expr.trim().length > 0, `${where}: non-empty expr`)
  const check = checkPromQL(expr)
  t.ok(check.ok, `${where}: parses as PromQL${check.ok ? '' : `: ${check.message}`}`)
  for (const m of expr.matchAll(/\bforesight_[a-z_]+/g)) {
    if (m[0] === 'foresight_policy') continue
    t.ok(known.has(m[0]), `${where}: ${m[0]} is a metric Foresight exports`)
  }
}

function panelsOf(panels: readonly GrafanaPanel[]): GrafanaPanel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])])
}

t.test('deploy/base', { skip }, async (t) => {
  const objs = await kustomize('deploy/base')
  const deployments = ofKind<Deployment>(objs, 'Deployment')
  t.same(deployments.map((d) => d.metadata.name).sort(), ['foresight-adapter', 'foresight-controller', 'foresight-webhook'])
  for (const d of deployments) checkDeployment(t, d)
  checkAdapterAvailability(t, objs)
  checkRbac(t, objs)
  checkWebhooks(t, objs)

  const a = apiService(t, objs)
  t.same(a.spec.service, { name: 'foresight-adapter', namespace: 'foresight', port: 443 })
  const svc = named<Service>(objs, 'Service', 'foresight-adapter')
  t.ok(svc?.spec.ports?.some((p) => p.port === 443), 'the adapter Service has the port the APIService names')

  for (const o of objs) {
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']
    if (clusterScoped.includes(o.kind)) continue
    t.ok(o.metadata.namespace !== undefined, `${o.kind} ${o.metadata.name} names its namespace`)
  }

  const args = named<Deployment>(objs, 'Deployment', 'foresight-adapter')?.spec.template.spec.containers[0]?.args ?? []
  for (const a of ['--set=auth.mode=kubernetes', '--set=policies.source=kubernetes', '--set=source.kind=prometheus', '--set=source.url=http://prometheus-operated.monitoring.svc:9090']) {
    t.ok(args.includes(a), `the adapter gets ${a}`)
  }

  // NetworkPolicies: the API ports open to any source (kube-apiserver's address is not predictable), the
  // telemetry ports only to the monitoring namespace.
  const policies = ofKind<NetworkPolicy>(objs, 'NetworkPolicy')
  t.ok(policies.some((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0 && (p.spec.ingress ?? []).length === 0 && p.spec.policyTypes?.includes('Ingress') === true), 'default-deny ingress in the namespace')
  const ingressFor = (component: string, port: number): Array<NetworkPolicyPeer[] | undefined> => policies
    .filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/component'] === component)
    .flatMap((p) => (p.spec.ingress ?? []).filter((r) => r.ports?.some((x) => x.port === port) === true).map((r) => r.from))
  t.same(ingressFor('adapter', 6443), [undefined], 'adapter 6443: from anywhere')
  t.same(ingressFor('webhook', 8443), [undefined], 'webhook 8443: from anywhere')
  const monitoringOnly = [[{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]]
  t.same(ingressFor('adapter', 9464), monitoringOnly, 'adapter 9464: only from monitoring')
  t.same(ingressFor('controller', 9465), monitoringOnly, 'controller 9465: only from monitoring')
  for (const d of deployments) {
    t.ok(policies.some((p) => selects(p.spec.podSelector.matchLabels ?? {}, d.spec.template.metadata.labels) && Object.keys(p.spec.podSelector.matchLabels ?? {}).length > 0), `${d.metadata.name} has its own NetworkPolicy`)
  }
})

t.test('deploy/overlays/production', { skip }, async (t) => {
  const objs = await kustomize('deploy/overlays/production')
  const deployments = ofKind<Deployment>(objs, 'Deployment')
  t.equal(deployments.length, 3)
  for (const d of deployments) checkDeployment(t, d)
  checkAdapterAvailability(t, objs)
  checkRbac(t, objs)
  const { validating, mutating } = checkWebhooks(t, objs)
  const a = apiService(t, objs)

  t.equal(a.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'foresight/foresight-adapter', 'APIService: CA injected from the adapter Certificate')
  t.equal(validating.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'foresight/foresight-webhook', 'ValidatingWebhookConfiguration: CA injected')
  t.equal(mutating.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'foresight/foresight-webhook', 'MutatingWebhookConfiguration: CA injected')

  // The certificates the annotations name exist, carry the names kube-apiserver dials, and fill the Secrets the
  // pods mount; the chain goes self-signed -> CA -> serving.
  const certs = ofKind<Certificate>(objs, 'Certificate')
  const adapterCert = certs.find((c) => c.metadata.name === 'foresight-adapter' && c.metadata.namespace === 'foresight')
  const webhookCert = certs.find((c) => c.metadata.name === 'foresight-webhook' && c.metadata.namespace === 'foresight')
  t.equal(adapterCert?.spec.secretName, 'foresight-adapter-tls')
  t.ok(adapterCert?.spec.dnsNames?.includes('foresight-adapter.foresight.svc'), 'adapter certificate for foresight-adapter.foresight.svc')
  t.equal(webhookCert?.spec.secretName, 'foresight-webhook-tls')
  t.ok(webhookCert?.spec.dnsNames?.includes('foresight-webhook.foresight.svc'), 'webhook certificate for foresight-webhook.foresight.svc')
  const mounted = (name: string): string[] => (named<Deployment>(objs, 'Deployment', name)?.spec.template.spec.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : []))
  t.ok(mounted('foresight-adapter').includes('foresight-adapter-tls'), 'the adapter mounts the certificate Secret')
  t.ok(mounted('foresight-webhook').includes('foresight-webhook-tls'), 'the webhook mounts the certificate Secret')
  const ca = certs.find((c) => c.spec.isCA === true)
  const issuers = ofKind<Issuer>(objs, 'Issuer')
  const selfSigned = issuers.find((i) => i.spec.selfSigned !== undefined)
  const caIssuer = issuers.find((i) => i.spec.ca !== undefined)
  t.ok(ca !== undefined && selfSigned !== undefined && caIssuer !== undefined, 'self-signed Issuer, CA Certificate, CA Issuer')
  t.equal(ca?.spec.issuerRef.name, selfSigned?.metadata.name, 'the CA is issued by the self-signed Issuer')
  t.equal(caIssuer?.spec.ca?.secretName, ca?.spec.secretName, 'the CA Issuer signs with the CA Secret')
  t.equal(adapterCert?.spec.issuerRef.name, caIssuer?.metadata.name, 'the adapter certificate comes from the CA Issuer')
  t.equal(webhookCert?.spec.issuerRef.name, caIssuer?.metadata.name, 'the webhook certificate comes from the CA Issuer')

  for (const d of deployments) {
    for (const c of d.spec.template.spec.containers) t.match(c.image, /^[^:@]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, `${d.metadata.name}: image pinned (${String(c.image)})`)
  }
})

/** deploy/overlays/production with one of deploy/components, rendered as a user's overlay would render it. */
async function productionWithComponent(t: Test, component: string): Promise<K8sObject[]> {
  // kustomize takes only relative paths: a throw-away overlay outside the repository points back into it.
  const dir = mkdtempSync(join(tmpdir(), `foresight-${component}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const rel = (p: string): string => relative(dir, join(ROOT, p))
  writeFileSync(join(dir, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `resources: [${rel('deploy/overlays/production')}]`,
    `components: [${rel(`deploy/components/${component}`)}]`,
  ].join('\n') + '\n')
  const { stdout } = await execFileP('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 })
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter((o) => o !== null)
}

t.test('deploy/components/ipv6 on the production overlay: every listener on ::, nothing else changed', { skip }, async (t) => {
  const objs = await productionWithComponent(t, 'ipv6')
  const plain = await kustomize('deploy/overlays/production')
  const deployments = ofKind<Deployment>(objs, 'Deployment')
  t.equal(deployments.length, 3)
  for (const d of deployments) {
    checkDeployment(t, d)
    const args = d.spec.template.spec.containers[0]?.args ?? []
    const hosts = args.filter((a) => /^--set=(listen|metrics|alerts)\.host=/.test(a))
    t.ok(hosts.length > 0 && hosts.every((a) => a.endsWith('.host=::')), `${d.metadata.name}: ${hosts.join(' ')}`)
    const before = named<Deployment>(plain, 'Deployment', d.metadata.name)?.spec.template.spec.containers[0]?.args ?? []
    if (d.metadata.name === 'foresight-controller') t.ok(args.includes('--set=alerts.host=::'), 'the alert receiver, should an overlay enable it, too')
    const unchanged = args.filter((a) => a !== '--set=alerts.host=::').map((a) => a.replace(/\.host=::$/, '.host=0.0.0.0'))
    t.same(unchanged, before, `${d.metadata.name}: only the hosts differ`)
  }
  t.equal(objs.length, plain.length, 'same objects')
})

t.test('deploy/components/keda on the production overlay: no APIService, the KEDA scaler port served, nothing else changed', { skip }, async (t) => {
  const objs = await productionWithComponent(t, 'keda')
  const plain = await kustomize('deploy/overlays/production')

  t.same(ofKind(objs, 'APIService'), [], 'no APIService: KEDA keeps v1beta1.external.metrics.k8s.io')
  t.notOk(named(objs, 'ClusterRoleBinding', 'foresight-hpa-external-metrics'), 'no grant for the HPA controller to read metrics it cannot reach')
  t.notOk(named(objs, 'ClusterRole', 'foresight-external-metrics-reader'))
  const key = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`
  const removed = plain.map(key).filter((k) => !objs.map(key).includes(k)).sort()
  t.same(removed, ['APIService//v1beta1.external.metrics.k8s.io', 'ClusterRole//foresight-external-metrics-reader', 'ClusterRoleBinding//foresight-hpa-external-metrics'], 'only those three objects removed')
  t.equal(objs.length, plain.length - 3)

  const deployments = ofKind<Deployment>(objs, 'Deployment')
  for (const d of deployments) checkDeployment(t, d)
  checkAdapterAvailability(t, objs)
  const adapter = named<Deployment>(objs, 'Deployment', 'foresight-adapter')?.spec.template.spec.containers[0]
  const before = named<Deployment>(plain, 'Deployment', 'foresight-adapter')?.spec.template.spec.containers[0]?.args ?? []
  t.same(adapter?.args, [...before, '--set=keda.enabled=true', '--set=keda.host=0.0.0.0', '--set=keda.port=6000'], 'the adapter serves the scaler on 6000, with the TLS settings it already has')
  t.ok(before.some((a) => a.startsWith('--set=tls.certFile=')), 'TLS: the adapter\'s serving certificate')
  const ports = (adapter as { ports?: Array<{ name: string; containerPort: number }> } | undefined)?.ports ?? []
  t.ok(ports.some((p) => p.name === 'keda' && p.containerPort === 6000), 'container port keda 6000')
  const svc = named<Service>(objs, 'Service', 'foresight-adapter')
  t.ok(svc?.spec.ports?.some((p) => p.name === 'keda' && p.port === 6000), 'the Service foresight-adapter exposes 6000 (scalerAddress foresight-adapter.foresight.svc:6000)')
  const np = ofKind<NetworkPolicy>(objs, 'NetworkPolicy').find((p) => p.metadata.name === 'foresight-adapter')
  const rule = np?.spec.ingress?.find((r) => r.ports?.some((x) => x.port === 6000) === true)
  t.same(rule?.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } }], '6000 only from the namespace keda')
  for (const d of deployments.filter((d) => d.metadata.name !== 'foresight-adapter')) {
    t.same(d, named(plain, 'Deployment', d.metadata.name), `${d.metadata.name} unchanged`)
  }
})

t.test('deploy/overlays/local', { skip }, async (t) => {
  const objs = await kustomize('deploy/overlays/local')
  t.same(ofKind(objs, 'Deployment'), [], 'no Deployments: the processes run on the developer machine')
  t.same(ofKind(objs, 'PodDisruptionBudget'), [], 'no PodDisruptionBudgets')
  checkRbac(t, objs)
  const { validating, mutating } = checkWebhooks(t, objs)
  const a = apiService(t, objs)
  t.equal(a.spec.insecureSkipTLSVerify, false, 'insecureSkipTLSVerify: false')
  t.ok(a.spec.caBundle !== undefined && a.spec.caBundle !== '', 'a caBundle (placeholder) to fill in')
  t.equal(a.spec.service?.port, 6443, 'the APIService names the adapter port')
  const svc = named<Service>(objs, 'Service', a.spec.service?.name ?? '')
  t.equal(svc?.metadata.namespace, a.spec.service?.namespace)
  t.equal(svc?.spec.type, 'ExternalName')
  t.equal(svc?.spec.externalName, '127.0.0.1')
  t.ok(svc?.spec.ports?.some((p) => p.port === 6443), 'the ExternalName Service carries port 6443')
  const paths: Record<string, string> = {
    'foresightpolicies.foresight.dev': '/validate/foresightpolicies',
    'hpas.foresight.dev': '/validate/hpas',
    'defaults.foresightpolicies.foresight.dev': '/mutate/foresightpolicies',
  }
  for (const w of [...validating.webhooks, ...mutating.webhooks]) {
    t.equal(w.clientConfig.url, `https://127.0.0.1:8443${paths[w.name] ?? '?'}`, `${w.name}: url to the local webhook`)
    t.equal(w.clientConfig.service, undefined, `${w.name}: no service`)
    t.ok(w.clientConfig.caBundle !== undefined && w.clientConfig.caBundle !== '', `${w.name}: a caBundle (placeholder) to fill in`)
  }
})

t.test('deploy/examples', { skip }, async (t) => {
  const objs = await kustomize('deploy/examples')
  const web = named<Deployment>(objs, 'Deployment', 'web')
  if (web === undefined) throw new Error('no web Deployment')
  checkDeployment(t, web)
  t.ok(named<Service>(objs, 'Service', 'web'), 'a Service for web')
  const policy = named<PolicyObject>(objs, 'ForesightPolicy', 'web')
  t.equal(policy?.spec.scaleTargetRef.name, 'web', 'the policy web targets the Deployment web')
  const hpa = named<Hpa>(objs, 'HorizontalPodAutoscaler', 'web')
  t.equal(hpa?.apiVersion, 'autoscaling/v2')
  t.same(hpa?.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' })
  t.same(hpa?.spec.metrics, [{
    type: 'External',
    external: { metric: { name: 'foresight_desired_replicas', selector: { matchLabels: { 'foresight.dev/policy': 'web' } } }, target: { type: 'AverageValue', averageValue: '1' } },
  }], 'External foresight_desired_replicas, AverageValue "1", selector foresight.dev/policy=web')
  t.equal(hpa?.spec.behavior?.scaleDown?.stabilizationWindowSeconds, 0)
  t.equal(hpa?.spec.minReplicas, policy?.spec.minReplicas, 'HPA and policy agree on minReplicas')
  t.equal(hpa?.spec.maxReplicas, policy?.spec.maxReplicas, 'HPA and policy agree on maxReplicas')
  for (const o of objs) t.equal(o.metadata.namespace, 'default', `${o.kind} ${o.metadata.name} in default`)
})

t.test('deploy/monitoring', { skip }, async (t) => {
  const objs = await kustomize('deploy/monitoring')
  const known = exportedMetrics()
  t.ok(known.has('foresight_desired_replicas') && known.has('foresight_remediation_skips_total'), 'metric names read from the source')

  const rules = ofKind<PrometheusRule>(objs, 'PrometheusRule')
  t.equal(rules.length, 1)
  t.equal(rules[0]?.apiVersion, 'monitoring.coreos.com/v1')
  const alerts = (rules[0]?.spec.groups ?? []).flatMap((g) => g.rules)
  for (const r of alerts) {
    t.ok(r.alert !== undefined && r.labels?.severity !== undefined, `${r.alert ?? '?'}: named, with a severity`)
    checkQuery(t, `alert ${r.alert ?? '?'}`, String(r.expr), known)
  }
  const exprOf = (name: string): string => String(alerts.find((r) => r.alert === name)?.expr ?? '')
  t.match(exprOf('ForesightAdapterDown'), /up\{job="foresight\/foresight-adapter"\}/, 'adapter down: no scrape')
  t.match(exprOf('ForesightRefreshSlowerThanPeriod'), /foresight_refresh_duration_seconds/)
  t.ok(alerts.some((r) => /foresight_desired_replicas\{reason="Fallback"\}/.test(String(r.expr))), 'a policy serving its Fallback')
  t.ok(alerts.some((r) => /foresight_desired_replicas\{reason="StaleValue"\}/.test(String(r.expr))), 'a policy serving a StaleValue')
  t.match(exprOf('ForesightWorkloadAnomaly'), /foresight_anomaly_score/)
  t.match(exprOf('ForesightPodAnomaly'), /foresight_pod_anomaly_score/)
  t.equal(alerts.find((r) => r.alert === 'ForesightPodAnomaly')?.for, '10m', 'pod anomaly high for 10m')
  t.match(exprOf('ForesightRestartBudgetExhausted'), /foresight_remediation_skips_total\{reason="BudgetExhausted"\}/)

  const podMonitors = ofKind(objs, 'PodMonitor').map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`).sort()
  t.same(podMonitors, ['foresight/foresight-adapter', 'foresight/foresight-controller'], 'the jobs the alerts name are scraped')
  // The alerts group by the policy's namespace and the workload's pod, which the series carry themselves.
  for (const pm of ofKind<K8sObject & { spec: { podMetricsEndpoints: Array<{ honorLabels?: boolean }> } }>(objs, 'PodMonitor')) {
    t.ok(pm.spec.podMetricsEndpoints.every((e) => e.honorLabels === true), `${pm.metadata.name} keeps the series' namespace and pod labels`)
  }

  const cm = ofKind<ConfigMap>(objs, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard !== undefined)
  t.ok(cm, 'the dashboard ConfigMap carries the grafana_dashboard label')
  const fromFile = readFileSync(join(ROOT, 'deploy/monitoring/grafana-dashboard.json'), 'utf8')
  t.equal(Object.values(cm?.data ?? {})[0], fromFile, 'the ConfigMap holds the dashboard file')
  const dash = JSON.parse(fromFile) as GrafanaDashboard
  const vars = dash.templating?.list ?? []
  t.ok(vars.some((v) => v.type === 'datasource' && v.query === 'prometheus'), 'a Prometheus datasource variable')
  const panels = panelsOf(dash.panels ?? []).filter((p) => p.type !== 'row')
  t.ok(panels.length >= 6, `${panels.length} panels`)
  const exprs: string[] = []
  for (const p of panels) {
    const where = `panel "${p.title ?? '?'}"`
    t.equal(p.datasource?.uid, '${datasource}', `${where}: uses the datasource variable`)
    t.ok((p.targets ?? []).length > 0, `${where}: has queries`)
    for (const target of p.targets ?? []) {
      const expr = target.expr ?? ''
      exprs.push(expr)
      checkQuery(t, where, grafanaToPromQL(expr), known)
    }
  }
  const all = exprs.join('\n')
  for (const m of ['foresight_forecast_load', 'foresight_observed_load', 'foresight_desired_replicas', 'kube_deployment_status_replicas', 'foresight_anomaly_score', 'foresight_pod_anomaly_score', 'foresight_remediation_restarts_total', 'foresight_http_requests_total', 'foresight_http_request_duration_seconds_bucket']) {
    t.ok(all.includes(m), `the dashboard shows ${m}`)
  }
})
