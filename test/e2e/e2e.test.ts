import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js'
import { clusterAnswers, clusterDown, clusterUp, readClusterEnv, REPO, type ClusterEnv } from './lib/cluster.js'
import { apply, kubectl, kubectlOk, KUBECONFIG } from './lib/kube.js'
import { killAll } from './lib/procs.js'
import { adapterSuite } from './steps/adapter.js'
import { kubectlSuite } from './steps/kubectl.js'
import { scalingSuite } from './steps/scaling.js'
import { authSuite } from './steps/auth.js'
import { webhookSuite } from './steps/webhook.js'
import { remediationSuite } from './steps/remediation.js'
import { helmSuite } from './steps/helm.js'
import { kedaSuite } from './steps/keda.js'

// The whole product against a real control plane (hack/cluster-up.sh): kube-apiserver's aggregation layer, RBAC,
// admission webhooks, the HPA controller and the Eviction API; adapter, webhook and controller run as local
// processes of the CLI on 127.0.0.1. The steps share state (the adapter serves every later step), so they run
// in order in one file and a failure stops the steps after it.

export interface Suite {
  dir: string
  env: ClusterEnv
  prom: RunningPrometheus
  /** Filled by the adapter step; later steps skip without it. */
  adapter?: { port: number; caPem: string }
}

// Files in test/e2e that are not *.test.ts are helpers: tap (given the directory) still loads them and reports
// "no tests found" (SKIP); importing them has no side effects.

const started = Date.now()
// The backfilled series end this far in the future: an instant query only looks back 5 minutes, so series that
// ended when the suite started would vanish mid-run (the per-pod scores did, on a slow run, before step 6).
const PROM_FUTURE_MS = 20 * 60_000
const dir = mkdtempSync(join(tmpdir(), 'foresight-e2e-run-'))
let startedCluster = false
let prom: RunningPrometheus | undefined

t.teardown(async () => {
  await killAll()
  await prom?.stop()
  if (startedCluster && process.env.FORESIGHT_E2E_KEEP_CLUSTER !== '1') await clusterDown()
  else {
    // A cluster we did not start stays up: remove what we registered so it is reusable.
    await kubectl(['delete', 'apiservice', 'v1beta1.external.metrics.k8s.io', '--ignore-not-found'])
    await kubectl(['delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'foresight-e2e', '--ignore-not-found'])
    await kubectl(['delete', 'ns', '-l', 'foresight.dev/e2e=true', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
  }
  t.comment(`e2e suite: ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${dir}`)
})

// Owned (and so stopped in teardown) as soon as we try to start it: a half-started cluster must go down too.
startedCluster = !(await clusterAnswers())
const [up, promStarted] = await Promise.allSettled([startedCluster ? clusterUp() : Promise.resolve(), startPrometheus({ days: 2, endMs: Math.floor(Date.now() / 60_000) * 60_000 + PROM_FUTURE_MS })])
if (promStarted.status === 'fulfilled') prom = promStarted.value
// A setup failure is reported as a failure (not thrown) so the teardown above still runs and stops everything.
if (up.status === 'rejected') t.fail(`cluster setup: ${String(up.reason)}`)
else if (promStarted.status === 'rejected') t.fail(`prometheus setup: ${String(promStarted.reason)}`)
else await runSteps(promStarted.value)

async function runSteps(running: RunningPrometheus): Promise<void> {
  if (!startedCluster) {
    // A reused cluster may still hold a previous run's namespaces (e.g. after a killed run).
    await kubectl(['delete', 'ns', '-l', 'foresight.dev/e2e=true', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
    await kubectl(['delete', 'apiservice', 'v1beta1.external.metrics.k8s.io', '--ignore-not-found'])
  }
  const suite: Suite = { dir, env: readClusterEnv(), prom: running }
  t.comment(`cluster ${startedCluster ? 'started' : 'reused'} (${KUBECONFIG}), prometheus ${running.url}, setup ${((Date.now() - started) / 1000).toFixed(1)} s`)
  // FORESIGHT_E2E_ONLY=keda runs the KEDA step alone (it needs nothing from the others), while working on it.
  if (process.env.FORESIGHT_E2E_ONLY === 'keda') {
    await kedaSuite(t, suite)
    return
  }

  await t.test('deploy/base passes server-side dry-run', async (t) => {
    // The CRD and the namespace for real first: a dry-run cannot create objects in a namespace it only dry-created.
    await kubectlOk(['apply', '-f', join(REPO, 'deploy', 'base', 'crd.yaml')])
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=30s', 'crd/foresightpolicies.foresight.dev'])
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: foresight}\n')
    const r = await kubectl(['apply', '--dry-run=server', '-k', join(REPO, 'deploy', 'base')])
    t.equal(r.code, 0, `kubectl apply --dry-run=server -k deploy/base: ${r.stderr.trim()}`)
    t.match(r.stdout, /apiservice.apiregistration.k8s.io\/v1beta1.external.metrics.k8s.io created \(server dry run\)/)
    t.match(r.stdout, /validatingwebhookconfiguration.admissionregistration.k8s.io\/foresight created \(server dry run\)/)
    // The RBAC for real (not through kustomize, see below): the adapter's and the HPA's permissions as shipped.
    await kubectlOk(['apply', '-f', join(REPO, 'deploy', 'base', 'rbac.yaml')])
  })

  await t.test('deploy/examples and deploy/overlays/local pass server-side dry-run', async (t) => {
    const examples = await kubectl(['apply', '--dry-run=server', '-k', join(REPO, 'deploy', 'examples')])
    t.equal(examples.code, 0, `deploy/examples: ${examples.stderr.trim()}`)
    t.match(examples.stdout, /horizontalpodautoscaler.autoscaling\/web created \(server dry run\)/)
    // The local overlay ships a caBundle placeholder on purpose; fill it as docs/deploy.md tells users to.
    const rendered = (await kubectlOk(['kustomize', join(REPO, 'deploy', 'overlays', 'local')]))
      .replaceAll('CABUNDLE-PLACEHOLDER', Buffer.from(readFileSync(suite.env.frontProxyCA, 'utf8')).toString('base64'))
    const local = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: rendered })
    t.equal(local.code, 0, `deploy/overlays/local: ${local.stderr.trim()}`)
  })

  await t.test('deploy/overlays/production and deploy/monitoring pass server-side dry-run', async (t) => {
    // Their kinds come from cert-manager and the Prometheus Operator: install those CRDs (only the CRDs; no
    // controller runs) so kube-apiserver validates Certificates, Issuers, PodMonitors and PrometheusRules.
    const crds = suite.env.thirdPartyCrds
    if (crds === undefined || !existsSync(join(crds, '.complete'))) {
      t.fail(`third-party CRDs missing (${crds ?? 'not in cluster.env'}): run bash hack/build-control-plane.sh crds, then restart the cluster`)
      return
    }
    // Server-side apply: these CRDs are too large for the last-applied annotation of a client-side apply.
    await kubectlOk(['apply', '--server-side', '-f', crds])
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=30s', 'crd/certificates.cert-manager.io', 'crd/issuers.cert-manager.io', 'crd/podmonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com'])
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring, labels: {foresight.dev/e2e: "true"}}\n')
    const prod = await kubectl(['apply', '--dry-run=server', '-k', join(REPO, 'deploy', 'overlays', 'production')])
    t.equal(prod.code, 0, `deploy/overlays/production: ${prod.stderr.trim()}`)
    t.match(prod.stdout, /certificate.cert-manager.io\/foresight-adapter created \(server dry run\)/)
    t.match(prod.stdout, /apiservice.apiregistration.k8s.io\/v1beta1.external.metrics.k8s.io created \(server dry run\)/)
    const mon = await kubectl(['apply', '--dry-run=server', '-k', join(REPO, 'deploy', 'monitoring')])
    t.equal(mon.code, 0, `deploy/monitoring: ${mon.stderr.trim()}`)
    t.match(mon.stdout, /prometheusrule.monitoring.coreos.com\/\S+ created \(server dry run\)/)
    t.match(mon.stdout, /podmonitor.monitoring.coreos.com\/\S+ created \(server dry run\)/)
    t.match(mon.stdout, /configmap\/foresight-grafana-dashboard created \(server dry run\)/)
  })

  await t.test('kustomize keeps the auth-reader RoleBinding in kube-system', async (t) => {
    const out = await kubectlOk(['kustomize', join(REPO, 'deploy', 'base')])
    const doc = out.split('\n---\n').find((d) => d.includes('name: foresight-adapter-auth-reader'))
    t.match(doc, /namespace: kube-system/, 'the Role extension-apiserver-authentication-reader exists only in kube-system')
  })

  await adapterSuite(t, suite)
  // After scaling: its scale-down check needs the served count to have been held only briefly before it starts.
  await scalingSuite(t, suite)
  await kubectlSuite(t, suite)
  await authSuite(t, suite)
  await webhookSuite(t, suite)
  await remediationSuite(t, suite)
  // KEDA's metrics server takes the external metrics APIService over from Foresight's adapter.
  await kedaSuite(t, suite)
  // Last: the release takes over the APIService and registers fail-closed webhooks (see steps/helm.ts).
  await helmSuite(t)
}
