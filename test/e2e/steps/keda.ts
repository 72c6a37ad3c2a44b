import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { createCA, issueCert } from '../../../src/auth/pki.js'
import { externalScalerClient } from '../../../src/keda/grpc-server.js'
import { freePort } from '../../helpers/prometheus.js'
import { apply, getJson, getRaw, kubectl, kubectlOk, KUBECONFIG, waitFor } from '../lib/kube.js'
import { servingCert } from '../lib/pki.js'
import { REPO } from '../lib/cluster.js'
import { startForesight, startProcess, type ForesightProcess } from '../lib/procs.js'
import { LOAD_QUERY } from './adapter.js'
import { webDeployment, webReplicas } from '../lib/workload.js'

// Step 6: KEDA mode. KEDA's own operator and metrics server (built from its Go module by hack/build-keda.sh) run
// as local processes; KEDA's metrics server takes over v1beta1.external.metrics.k8s.io, and a ScaledObject with a
// `type: external` trigger pointing at Foresight's gRPC scaler (TLS both ways) scales a kwok Deployment to the
// policy's desired replicas through the HPA KEDA creates. Runs last: it replaces Foresight's APIService.

export const KEDA_NS = 'e2e-keda'
const KEDA_VERSION = process.env.KEDA_VERSION ?? 'v2.21.0'
const KEDA_DIR = join(process.env.FORESIGHT_CACHE ?? join(homedir(), '.cache', 'foresight'), `keda-${KEDA_VERSION}`)
const APISERVICE = 'v1beta1.external.metrics.k8s.io'

function policy(capacity: number): string {
  return `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: web, namespace: ${KEDA_NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  load: {query: '${LOAD_QUERY}', capacityPerReplica: ${capacity}}
  minReplicas: 2
  maxReplicas: 5
  scaleDown: {stabilizationSeconds: 0, maxDecreasePercentPerMinute: 100}
`
}

interface KedaCerts { dir: string; caPem: string }

/** One CA and one certificate KEDA's two processes serve with and present to each other (and to Foresight). */
function kedaCerts(suiteDir: string): KedaCerts {
  const dir = join(suiteDir, 'keda-certs')
  mkdirSync(dir, { recursive: true })
  const ca = createCA('keda-e2e-ca')
  const pair = issueCert(ca, {
    commonName: 'keda-operator',
    dnsNames: ['keda-operator.keda.svc', 'keda-metrics-apiserver.keda.svc', 'localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'both',
  })
  writeFileSync(join(dir, 'ca.crt'), ca.certPem)
  writeFileSync(join(dir, 'tls.crt'), pair.certPem)
  writeFileSync(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600 })
  return { dir, caPem: ca.certPem }
}

const deploymentReplicas = (): Promise<{ spec: number; ready: number }> => webReplicas(KEDA_NS)

export async function kedaSuite(t: Test, suite: Suite): Promise<void> {
  const missing = ['bin/keda', 'bin/keda-adapter', 'crds/keda.sh_scaledobjects.yaml'].filter((f) => !existsSync(join(KEDA_DIR, f)))
  // Without KEDA's binaries (a first CI run on a machine without caches stops its build at the build budget) the
  // step skips, naming what is missing and the script that builds it.
  const skip = missing.length > 0 ? `KEDA ${KEDA_VERSION} not built (${missing.join(', ')} missing in ${KEDA_DIR}): run bash hack/build-keda.sh` : false
  await t.test('KEDA mode: a ScaledObject `type: external` scales a kwok Deployment to Foresight\'s desired replicas through KEDA\'s HPA', { skip }, async (t) => {
    // The KEDA-mode install (deploy/base with deploy/components/keda) passes kube-apiserver's validation and
    // registers no APIService. kustomize takes only relative paths: a throw-away overlay points back in.
    const overlay = join(suite.dir, 'keda-mode')
    mkdirSync(overlay, { recursive: true })
    writeFileSync(join(overlay, 'kustomization.yaml'), `resources: [${relative(overlay, join(REPO, 'deploy', 'base'))}]\ncomponents: [${relative(overlay, join(REPO, 'deploy', 'components', 'keda'))}]\n`)
    await apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: foresight}\n')
    const dry = await kubectl(['apply', '--dry-run=server', '-k', overlay])
    t.equal(dry.code, 0, `deploy/base + deploy/components/keda, server-side dry-run: ${dry.stderr.trim()}`)
    t.match(dry.stdout, /deployment.apps\/foresight-adapter (created|configured|unchanged) \(server dry run\)/)
    t.notMatch(dry.stdout, /apiservice/i, 'no APIService in KEDA mode')

    const procs: ForesightProcess[] = []
    // KEDA first: stopped after Foresight it would log the refused calls of its last polls as errors.
    t.teardown(async () => {
      for (const p of procs.reverse()) await p.kill()
    })
    await kubectlOk(['apply', '-f', join(REPO, 'deploy', 'base', 'crd.yaml')])
    // KEDA's CRDs (server-side: too large for a client-side apply's annotation) and its namespace.
    await kubectlOk(['apply', '--server-side', '-f', join(KEDA_DIR, 'crds')])
    // kubectl wait fails on a CRD whose status is not written yet: retry it until it can wait.
    await waitFor('KEDA\'s CRDs Established', 30_000, async () => {
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=10s', 'crd/scaledobjects.keda.sh', 'crd/triggerauthentications.keda.sh'])
      return true
    })
    await apply(`apiVersion: v1
kind: Namespace
metadata: {name: keda, labels: {foresight.dev/e2e: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${KEDA_NS}, labels: {foresight.dev/e2e: "true"}}
`)
    // The HPA controller reads whatever KEDA's metrics server serves (KEDA's own manifests grant the same).
    await apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: keda-e2e-external-metrics-reader}
rules: [{apiGroups: [external.metrics.k8s.io], resources: ["*"], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: keda-e2e-hpa-external-metrics}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: keda-e2e-external-metrics-reader}
subjects: [{kind: ServiceAccount, name: horizontal-pod-autoscaler, namespace: kube-system}]
`)

    // Foresight: an adapter serving the scaler, client certificates required (signed by KEDA's CA).
    const keda = kedaCerts(suite.dir)
    const foresightCert = servingCert(suite.dir, 'foresight-keda', ['foresight-adapter.foresight.svc'])
    const scalerPort = await freePort()
    const foresight = startForesight('adapter-keda', 'adapter', [
      'listen.port=0', 'metrics.port=0', 'auth.mode=kubernetes', `auth.kubeconfig=${KUBECONFIG}`,
      `tls.certFile=${foresightCert.certFile}`, `tls.keyFile=${foresightCert.keyFile}`, 'source.kind=prometheus', `source.url=${suite.prom.url}`,
      'policies.source=kubernetes', `policies.namespace=${KEDA_NS}`, 'engine.refreshIntervalMs=2000', 'logLevel=debug',
      'keda.enabled=true', `keda.port=${scalerPort}`, `keda.clientCAFile=${join(keda.dir, 'ca.crt')}`,
    ], suite.dir)
    procs.push(foresight)

    // KEDA's operator (scalers, ScaledObject -> HPA) and metrics server (external.metrics.k8s.io), talking to each
    // other over mutual TLS with the certificates in keda.dir, against the e2e cluster.
    const [opGrpc, opProbe, msPort, msMetrics] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    const env = { KUBECONFIG, POD_NAMESPACE: 'keda', KEDA_CLUSTER_OBJECT_NAMESPACE: 'keda', WATCH_NAMESPACE: '' }
    const operator = startProcess('keda-operator', join(KEDA_DIR, 'bin', 'keda'), [
      '--leader-elect=false', '--enable-cert-rotation=false', `--cert-dir=${keda.dir}`,
      `--metrics-service-bind-address=127.0.0.1:${opGrpc}`, `--health-probe-bind-address=127.0.0.1:${opProbe}`, '--metrics-bind-address=0',
      '--zap-log-level=info', '--zap-encoder=console',
    ], suite.dir, env)
    procs.push(operator)
    const metricsServer = startProcess('keda-metrics-server', join(KEDA_DIR, 'bin', 'keda-adapter'), [
      `--secure-port=${msPort}`, '--bind-address=127.0.0.1', `--cert-dir=${keda.dir}`,
      `--tls-cert-file=${join(keda.dir, 'tls.crt')}`, `--tls-private-key-file=${join(keda.dir, 'tls.key')}`,
      `--lister-kubeconfig=${KUBECONFIG}`, `--authentication-kubeconfig=${KUBECONFIG}`, `--authorization-kubeconfig=${KUBECONFIG}`,
      `--metrics-service-address=127.0.0.1:${opGrpc}`, `--port=${msMetrics}`, '--zap-log-level=info',
    ], suite.dir, env)
    procs.push(metricsServer)

    // KEDA mode: KEDA's metrics server owns the APIService (Foresight's, from the adapter step, is replaced).
    await kubectl(['delete', 'apiservice', APISERVICE, '--ignore-not-found'])
    await apply(`apiVersion: v1
kind: Service
metadata: {name: keda-metrics-apiserver, namespace: keda}
spec: {type: ExternalName, externalName: 127.0.0.1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: ${APISERVICE}}
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: keda-metrics-apiserver, namespace: keda, port: ${msPort}}
  caBundle: ${Buffer.from(keda.caPem).toString('base64')}
`)

    // The workload, its policy, and the ScaledObject naming the policy; the TriggerAuthentication gives KEDA the CA
    // of Foresight's serving certificate and the client certificate Foresight requires.
    await apply(webDeployment(KEDA_NS))
    await apply(policy(0.01))
    await apply(`apiVersion: v1
kind: Secret
metadata: {name: foresight-scaler-tls, namespace: ${KEDA_NS}}
stringData:
  ca.crt: ${JSON.stringify(foresightCert.ca.certPem)}
  tls.crt: ${JSON.stringify(readFileSync(join(keda.dir, 'tls.crt'), 'utf8'))}
  tls.key: ${JSON.stringify(readFileSync(join(keda.dir, 'tls.key'), 'utf8'))}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: foresight-scaler, namespace: ${KEDA_NS}}
spec:
  secretTargetRef:
    - {parameter: caCert, name: foresight-scaler-tls, key: ca.crt}
    - {parameter: tlsClientCert, name: foresight-scaler-tls, key: tls.crt}
    - {parameter: tlsClientKey, name: foresight-scaler-tls, key: tls.key}
`)
    await foresight.waitForLog(/adapter started/, 60_000)
    await operator.waitForLog(/Starting Metrics Service gRPC Server/, 60_000)
    const t0 = Date.now()
    await waitFor(`APIService ${APISERVICE} (KEDA's metrics server) Available`, 90_000, async () => {
      const s = await getJson<{ status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>(['get', 'apiservice', APISERVICE])
      const c = s?.status?.conditions?.find((x) => x.type === 'Available')
      if (c?.status !== 'True') throw new Error(`Available=${c?.status}: ${c?.message}\n${metricsServer.tail(5)}`)
      return true
    })
    t.pass(`KEDA's APIService Available after ${Date.now() - t0} ms`)

    // What Foresight serves for the policy, asked over the same gRPC contract KEDA uses.
    const Scaler = externalScalerClient()
    const client = new Scaler(`127.0.0.1:${scalerPort}`, grpc.credentials.createSsl(Buffer.from(foresightCert.ca.certPem), readFileSync(join(keda.dir, 'tls.key')), readFileSync(join(keda.dir, 'tls.crt'))))
    t.teardown(() => client.close())
    const ref = { name: 'web', namespace: KEDA_NS, scalerMetadata: { policy: 'web' } }
    const served = (): Promise<number> => new Promise((resolve, reject) => {
      (client as unknown as Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: { metricValues: Array<{ metricValueFloat: number }> }) => void) => void>).GetMetrics?.(
        { scaledObjectRef: ref, metricName: 'foresight_desired_replicas' },
        (err, res) => (err !== null ? reject(err) : resolve(res.metricValues[0]?.metricValueFloat ?? NaN)),
      )
    })
    const up = await waitFor('Foresight to serve the policy over gRPC', 60_000, async () => served())
    t.equal(up, 5, 'capacity 0.01 req/s per replica: the policy\'s maxReplicas (5) is served')

    await apply(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: web, namespace: ${KEDA_NS}}
spec:
  scaleTargetRef: {name: web}
  pollingInterval: 5
  minReplicaCount: 1
  maxReplicaCount: 10
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown: {stabilizationWindowSeconds: 0}
  triggers:
    - type: external
      metadata: {scalerAddress: "127.0.0.1:${scalerPort}", policy: web}
      authenticationRef: {name: foresight-scaler}
    # The same policy pushed: KEDA holds a StreamIsActive call open and still reads the value with GetMetrics.
    - type: external-push
      metadata: {scalerAddress: "127.0.0.1:${scalerPort}", policy: web}
      authenticationRef: {name: foresight-scaler}
`)
    const t1 = Date.now()
    const hpa = await waitFor('KEDA to create its HPA keda-hpa-web', 60_000, async () => {
      const h = await getJson<{ spec: { metrics: Array<{ type: string; external?: { metric: { name: string }; target: { type: string; averageValue?: string } } }> } }>(['get', 'hpa', 'keda-hpa-web', '-n', KEDA_NS])
      if (h === undefined) throw new Error(`no HPA yet\n${operator.tail(5)}`)
      return h
    })
    t.same(hpa.spec.metrics.map((m) => [m.type, m.external?.metric.name, m.external?.target.type, m.external?.target.averageValue]), [
      ['External', 's0-foresight_desired_replicas', 'AverageValue', '1'],
      ['External', 's1-foresight_desired_replicas', 'AverageValue', '1'],
    ], 'KEDA\'s HPA: one External metric per trigger (index-prefixed), AverageValue 1 (GetMetricSpec targetSize), so ceil(value / 1) replicas')

    // Through kube-apiserver -> KEDA's metrics server -> KEDA's operator -> Foresight's gRPC scaler.
    for (const metricName of ['s0-foresight_desired_replicas', 's1-foresight_desired_replicas']) {
      const viaKeda = await waitFor(`${metricName} through KEDA's external metrics API`, 60_000, async () => {
        const r = await getRaw(`/apis/external.metrics.k8s.io/v1beta1/namespaces/${KEDA_NS}/${metricName}?labelSelector=${encodeURIComponent('scaledobject.keda.sh/name=web')}`)
        if (r.code !== 0) throw new Error(r.stderr.trim())
        return (JSON.parse(r.stdout) as { items: Array<{ value: string }> }).items[0]?.value
      })
      t.equal(viaKeda, String(up), `KEDA's external metrics API serves Foresight's value for ${metricName} (${viaKeda})`)
    }
    const scaled = await waitFor(`deployment ${KEDA_NS}/web at ${up} ready replicas`, 120_000, async () => {
      const s = await deploymentReplicas()
      return s.spec === up && s.ready === up ? s : undefined
    })
    t.same(scaled, { spec: up, ready: up }, `KEDA's HPA scaled 1 -> ${up} in ${Date.now() - t1} ms after the ScaledObject was applied`)

    t.match(await foresight.waitForLog(/StreamIsActive opened/, 30_000), new RegExp(`"namespace":"${KEDA_NS}","scaledObject":"web"`), 'the external-push trigger holds a StreamIsActive call open')

    // The policy changes in the cluster: Foresight serves minReplicas (2), KEDA's HPA follows it down.
    await apply(policy(1_000_000))
    const t2 = Date.now()
    const down = await waitFor('Foresight to serve minReplicas (2)', 120_000, async () => ((await served()) === 2 ? 2 : undefined))
    const r2 = await waitFor(`deployment ${KEDA_NS}/web back at ${down} replicas`, 120_000, async () => {
      const s = await deploymentReplicas()
      return s.spec === down && s.ready === down ? s : undefined
    })
    t.same(r2, { spec: down, ready: down }, `KEDA's HPA scaled ${up} -> ${down} in ${Date.now() - t2} ms after the policy update`)
    const so = await getJson<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(['get', 'scaledobject', 'web', '-n', KEDA_NS])
    t.equal(so?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'ScaledObject Ready')
  })
}
