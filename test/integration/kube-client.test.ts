import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { readExtensionApiserverAuthentication } from '../../src/kube/auth-config.js'
import { EventRecorder, type EventBody } from '../../src/kube/events.js'
import { loadKubeClient } from '../../src/kube/load.js'
import { KubeClient } from '../../src/kube/rest.js'
import { clientNodeConnection } from '../../src/kube/client-node-connection.js'
import { kubeReviewClient } from '../../src/kube/reviews.js'
import { scaleReader } from '../../src/kube/scale.js'
import { InformerPolicySource } from '../../src/policy/informer-source.js'
import { policyKey } from '../../src/policy/schema.js'
import { kubeStatusClient, updatePolicyStatus } from '../../src/policy/status.js'
import { packageRoot } from '../../src/util/paths.js'
import { kubeApiserverMissing, startKubeApiserver, type KubeApiserver } from '../helpers/kube-apiserver.js'

// The adapter's own Kubernetes client against a real kube-apiserver (and etcd): every call the adapter makes
// (TokenReview, SubjectAccessReview, the request-header ConfigMap, scale reads, status writes, Events, the policy
// list and watch), with a client certificate, a bearer token, a token file and an exec plugin (client-node).

const missing = kubeApiserverMissing()
if (missing !== undefined) {
  t.plan(0, `needs kube-apiserver and etcd: ${missing}`)
} else {
  const log = pino({ level: 'silent' })
  const NS = 'kube-client'
  let api: KubeApiserver
  let admin: KubeClient

  const post = <T>(kube: KubeClient, path: string, body: unknown): Promise<T> => kube.request<T>({ method: 'POST', path, body, what: `create ${path}` })

  async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (!(await cond())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  const policy = (name: string, maxReplicas = 10): Record<string, unknown> => ({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name, namespace: NS },
    spec: { scaleTargetRef: { name: `wl-${name}` }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas },
  })

  /** A token of a service account in NS, from the TokenRequest API. */
  async function serviceAccountToken(name: string): Promise<string> {
    await post(admin, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } }).catch((err: { code?: number }) => { if (err.code !== 409) throw err })
    const tr = await post<{ status: { token: string } }>(admin, `/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } })
    return tr.status.token
  }

  t.before(async () => {
    api = await startKubeApiserver()
    admin = await loadKubeClient(api.adminKubeconfig)
    await post(admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })
    const crd = parseYaml(readFileSync(join(packageRoot(), 'deploy', 'base', 'crd.yaml'), 'utf8')) as unknown
    await post(admin, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
    await waitFor('the CRD to be served', async () => {
      try {
        await admin.request({ method: 'GET', path: `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, what: 'list' })
        return true
      } catch {
        return false
      }
    })
  })
  t.teardown(() => api?.close())

  t.test('TokenReview and SubjectAccessReview, as the adapter authenticates and authorizes', async (t) => {
    const token = await serviceAccountToken('hpa')
    await post(admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-metrics' },
      rules: [{ apiGroups: ['external.metrics.k8s.io'], resources: ['*'], verbs: ['get', 'list'] }],
    })
    await post(admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-metrics' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-metrics' },
      subjects: [{ kind: 'ServiceAccount', name: 'hpa', namespace: NS }],
    })
    const reviews = kubeReviewClient(admin)
    const signal = (): AbortSignal => AbortSignal.timeout(10_000)
    const who = await reviews.tokenReview(token, signal())
    t.match(who, { authenticated: true, user: { username: `system:serviceaccount:${NS}:hpa`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] } })
    t.same(await reviews.tokenReview(`${token}x`, signal()), { authenticated: false }, 'a forged token')
    const user = who.user ?? { username: '', groups: [], extra: {} }
    const attrs = { kind: 'resource' as const, verb: 'get', group: 'external.metrics.k8s.io', version: 'v1beta1', resource: 'foresight_desired_replicas', namespace: NS }
    t.match(await reviews.subjectAccessReview(user, attrs, signal()), { allowed: true })
    t.match(await reviews.subjectAccessReview(user, { ...attrs, namespace: 'default' }, signal()), { allowed: false })
    t.match(await reviews.subjectAccessReview(user, { kind: 'nonResource', verb: 'get', path: '/metrics' }, signal()), { allowed: false })

    // The same calls with the service account's own token as the client's credential: RBAC refuses it, and the
    // error carries the apiserver's reason.
    const weak = await loadKubeClient(api.kubeconfig('hpa', { token }))
    await t.rejects(kubeReviewClient(weak).tokenReview(token, signal()), { code: 403, message: /^unable to create tokenreviews: HTTP 403: tokenreviews\.authentication\.k8s\.io is forbidden: User "system:serviceaccount:kube-client:hpa" cannot create resource/ })
  })

  t.test('the request-header configuration kube-apiserver publishes', async (t) => {
    const cfg = await readExtensionApiserverAuthentication(admin, AbortSignal.timeout(10_000))
    t.equal(cfg.clientCAPem.trim(), api.frontProxyCA.certPem.trim())
    t.same(cfg.allowedNames, ['front-proxy-client'])
    t.same(cfg.usernameHeaders, ['X-Remote-User'])
    t.same(cfg.extraHeaderPrefixes, ['X-Remote-Extra-'])
  })

  t.test('scale reads of each target kind; an unknown target reads as undefined', async (t) => {
    const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'x' }] } }
    const spec = { replicas: 3, selector: { matchLabels: { app: 'w' } }, template }
    await post(admin, `/apis/apps/v1/namespaces/${NS}/deployments`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec })
    await post(admin, `/apis/apps/v1/namespaces/${NS}/statefulsets`, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { ...spec, replicas: 2, serviceName: 'db' } })
    // No controller runs here: the replica count a controller would report is written to the status directly.
    await admin.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/status`, body: { status: { replicas: 4 } }, contentType: 'application/merge-patch+json', what: 'patch' })
    const read = scaleReader(admin, 10_000)
    const of = (kind: string, name: string): Parameters<typeof read>[0] => ({ metadata: { namespace: NS }, spec: { scaleTargetRef: { kind, name } } })
    t.equal(await read(of('Deployment', 'web')), 4, 'status.replicas')
    t.equal(await read(of('StatefulSet', 'db')), 0, 'status.replicas of a set nobody runs')
    t.equal(await read(of('Deployment', 'missing')), undefined)
  })

  t.test('status writes through the status subresource: a merge patch guarded by the resourceVersion', async (t) => {
    await post(admin, `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, policy('status'))
    const client = kubeStatusClient(admin)
    const ref = { namespace: NS, name: 'status' }
    const r = await updatePolicyStatus(client, ref, (s) => ({ ...s, desiredReplicas: 5 }))
    t.match(r, { written: true, attempts: 1 })
    t.match(await client.get(ref, AbortSignal.timeout(10_000)), { status: { desiredReplicas: 5 }, spec: { maxReplicas: 10 } })
    t.match(await updatePolicyStatus(client, ref, (s) => ({ ...s, desiredReplicas: 5 })), { written: false }, 'an equal status is not written')
    const stale = await client.get(ref, AbortSignal.timeout(10_000))
    await client.patch(ref, { metadata: { resourceVersion: stale.resourceVersion }, status: { desiredReplicas: 8 } }, AbortSignal.timeout(10_000))
    await t.rejects(client.patch(ref, { metadata: { resourceVersion: stale.resourceVersion }, status: { desiredReplicas: 9 } }, AbortSignal.timeout(10_000)), { code: 409 }, 'the apiserver refuses a stale resourceVersion')
    await t.rejects(client.get({ namespace: NS, name: 'missing' }, AbortSignal.timeout(10_000)), { code: 404, message: /^unable to get foresightpolicies\/status kube-client\/missing: HTTP 404: / })
  })

  t.test('Events (events.k8s.io/v1), as the adapter records reason changes', async (t) => {
    const recorder = new EventRecorder({ kube: admin, log, controller: 'foresight.dev/adapter', instance: 'test-0', dedupeWindowMs: 0 })
    const regarding = { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', namespace: NS, name: 'status' }
    t.equal(await recorder.emit({ regarding, reason: 'Fallback', action: 'Serve', note: 'no data', type: 'Warning' }), true)
    const list = await admin.request<{ items: EventBody[] }>({ method: 'GET', path: `/apis/events.k8s.io/v1/namespaces/${NS}/events`, what: 'list events' })
    t.match(list.items, [{ reason: 'Fallback', note: 'no data', type: 'Warning', regarding: { name: 'status', kind: 'ForesightPolicy' }, reportingController: 'foresight.dev/adapter', eventTime: /\.\d{6}Z$/ }])
  })

  t.test('Events through client-node\'s credentials, as the remediation controller sends them', async (t) => {
    const { KubeConfig } = await import('@kubernetes/client-node')
    const kc = new KubeConfig()
    kc.loadFromFile(api.adminKubeconfig)
    const recorder = new EventRecorder({ kube: new KubeClient(clientNodeConnection(kc)), log, controller: 'foresight.dev/remediation-controller', instance: 'ctl-0' })
    const pod = { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: 'web-2', uid: 'u-2' }
    const related = { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', namespace: NS, name: 'status' }
    t.equal(await recorder.emit({ regarding: pod, related, reason: 'Restarted', action: 'Evict', note: 'error outlier for 180s', type: 'Warning' }), true)
    const list = await admin.request<{ items: EventBody[] }>({ method: 'GET', path: `/apis/events.k8s.io/v1/namespaces/${NS}/events`, what: 'list events' })
    t.match(list.items.find((e) => e.reason === 'Restarted'), { regarding: { kind: 'Pod', name: 'web-2', uid: 'u-2' }, related: { name: 'status' }, reportingController: 'foresight.dev/remediation-controller' })
  })

  t.test('the policy informer: list, then ADDED, MODIFIED and DELETED from the watch, with a token file', async (t) => {
    const token = await serviceAccountToken('adapter')
    await post(admin, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'adapter-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'adapter', namespace: NS }],
    })
    const tokenFile = join(api.dir, 'adapter.token')
    writeFileSync(tokenFile, token)
    const kube = await loadKubeClient(api.kubeconfig('adapter', { tokenFile }))
    await post(admin, `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, policy('listed'))
    const src = new InformerPolicySource({ kube, log, namespace: NS, initialBackoffMs: 50, maxBackoffMs: 500 })
    t.teardown(() => src.close())
    await src.start()
    const keys = (): string[] => src.list().map(policyKey).sort()
    t.same(keys(), [`${NS}/listed`, `${NS}/status`])
    await post(admin, `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, policy('watched'))
    await waitFor('ADDED', () => keys().includes(`${NS}/watched`))
    await admin.request({ method: 'PATCH', path: `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies/watched`, body: { spec: { maxReplicas: 33 } }, contentType: 'application/merge-patch+json', what: 'patch' })
    await waitFor('MODIFIED', () => src.get(`${NS}/watched`)?.spec.maxReplicas === 33)
    await admin.request({ method: 'DELETE', path: `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies/listed`, what: 'delete' })
    await waitFor('DELETED', () => !keys().includes(`${NS}/listed`))
    t.same(keys(), [`${NS}/status`, `${NS}/watched`])
  })

  t.test('an exec plugin kubeconfig: client-node gives the credential, the own client makes the calls', async (t) => {
    const token = await serviceAccountToken('adapter')
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token } })
    const file = api.kubeconfig('exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: ['-e', `console.log(${JSON.stringify(credential)})`], interactiveMode: 'Never' } })
    const fallbacks: string[] = []
    const kube = await loadKubeClient(file, { onFallback: (why) => fallbacks.push(why) })
    t.same(fallbacks, ['an exec credential plugin'])
    const list = await kube.request<{ items: unknown[] }>({ method: 'GET', path: `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, what: 'list foresightpolicies' })
    t.ok(list.items.length >= 1, 'listed as the plugin\'s service account')
    const anonymous = await loadKubeClient(api.kubeconfig('anonymous', {}))
    await t.rejects(anonymous.request({ method: 'GET', path: `/apis/foresight.dev/v1alpha1/namespaces/${NS}/foresightpolicies`, what: 'list foresightpolicies' }), { code: 403, message: /User "system:anonymous" cannot list/ }, 'without credentials: anonymous, and refused')
  })
}
