import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { call } from '../../helpers/https-client.js'
import { freePort } from '../../helpers/prometheus.js'
import { readFileSync } from 'node:fs'
import { apply, getJson, getRaw, kubectlOk, KUBECONFIG, waitFor } from '../lib/kube.js'
import { servingCert } from '../lib/pki.js'
import { startForesight } from '../lib/procs.js'

// Step 1: the adapter as an aggregated API server: APIService -> ExternalName Service -> 127.0.0.1:<port>.

export const SCALE_NS = 'e2e-scale'
export const LOAD_QUERY = 'sum(rate(http_requests_total{namespace="default",service="web"}[2m]))'

export function scalePolicy(capacity: number, maxDecreasePercentPerMinute = 100): string {
  return `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: web, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  load: {query: '${LOAD_QUERY}', capacityPerReplica: ${capacity}}
  minReplicas: 2
  maxReplicas: 6
  scaleDown: {stabilizationSeconds: 0, maxDecreasePercentPerMinute: ${maxDecreasePercentPerMinute}}
`
}

export interface MetricItem { metricName: string; metricLabels: Record<string, string>; value: string }

export function metricPath(ns: string, metric: string, policy: string): string {
  return `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/${metric}?labelSelector=${encodeURIComponent(`foresight.dev/policy=${policy}`)}`
}

/** Straight to the adapter, authenticated the way kube-apiserver's aggregator is: front-proxy cert + X-Remote-*. */
export async function askAdapter(suite: Suite, path: string, user = 'kwok-admin', groups = ['system:masters']): Promise<{ status: number; text: string }> {
  if (suite.adapter === undefined) throw new Error('no adapter')
  const r = await call(`https://127.0.0.1:${suite.adapter.port}${path}`, {
    ca: suite.adapter.caPem,
    cert: readFileSync(suite.env.frontProxyClientCert, 'utf8'),
    key: readFileSync(suite.env.frontProxyClientKey, 'utf8'),
    headers: { 'X-Remote-User': user, 'X-Remote-Group': groups },
  })
  return { status: r.status, text: r.text }
}

const values = (text: string): string => JSON.stringify((JSON.parse(text) as { items: MetricItem[] }).items.map((i) => [i.metricName, i.metricLabels, i.value]))

export async function adapterSuite(t: Test, suite: Suite): Promise<void> {
  await t.test('adapter: APIService Available, metrics through kube-apiserver equal the adapter\'s', async (t) => {
    const port = await freePort()
    const cert = servingCert(suite.dir, 'adapter', ['foresight-adapter.foresight.svc'])
    const adapter = startForesight('adapter', 'adapter', [
      `listen.port=${port}`, 'metrics.port=0', 'auth.mode=kubernetes', `auth.kubeconfig=${KUBECONFIG}`,
      `tls.certFile=${cert.certFile}`, `tls.keyFile=${cert.keyFile}`, 'source.kind=prometheus', `source.url=${suite.prom.url}`,
      'policies.source=kubernetes', 'engine.refreshIntervalMs=2000', 'logLevel=info',
    ], suite.dir)
    await apply(`apiVersion: v1
kind: Namespace
metadata: {name: ${SCALE_NS}, labels: {foresight.dev/e2e: "true"}}
---
apiVersion: v1
kind: Service
metadata: {name: foresight-adapter, namespace: foresight}
spec: {type: ExternalName, externalName: 127.0.0.1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.external.metrics.k8s.io}
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: foresight-adapter, namespace: foresight, port: ${port}}
  caBundle: ${cert.caBase64}
`)
    await apply(scalePolicy(0.01))
    await adapter.waitForLog(/adapter started/, 60_000)
    const t0 = Date.now()
    await waitFor('APIService v1beta1.external.metrics.k8s.io Available', 60_000, async () => {
      const s = await getJson<{ status?: { conditions?: Array<{ type: string; status: string; message?: string }> } }>(['get', 'apiservice', 'v1beta1.external.metrics.k8s.io'])
      const c = s?.status?.conditions?.find((x) => x.type === 'Available')
      if (c?.status !== 'True') throw new Error(`Available=${c?.status}: ${c?.message}`)
      return true
    })
    t.pass(`APIService Available after ${Date.now() - t0} ms`)
    // Later steps need a working adapter and skip without it.
    suite.adapter = { port, caPem: cert.ca.certPem }

    const discovery = JSON.parse(await kubectlOk(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1'])) as { resources: Array<{ name: string }> }
    t.ok(discovery.resources.some((r) => r.name === 'foresight_desired_replicas'), 'discovery through the aggregator lists foresight_desired_replicas')

    const path = metricPath(SCALE_NS, 'foresight_desired_replicas', 'web')
    const viaApi = await waitFor('the adapter to serve the policy', 60_000, async () => {
      const r = await getRaw(path)
      if (r.code !== 0) throw new Error(r.stderr.trim())
      return (JSON.parse(r.stdout) as { items: MetricItem[] }).items.length > 0 ? r.stdout : undefined
    })
    // The engine refreshes every 2 s; ask both within one refresh, retrying on a refresh in between.
    let same = false
    let last = ''
    for (let i = 0; i < 5 && !same; i++) {
      const a = await getRaw(path)
      const b = await askAdapter(suite, path)
      last = `apiserver ${values(a.stdout)} vs adapter ${b.status} ${b.status === 200 ? values(b.text) : b.text}`
      same = a.code === 0 && b.status === 200 && values(a.stdout) === values(b.text)
    }
    t.ok(same, `same items through kube-apiserver and straight from the adapter: ${last}`)
    const item = (JSON.parse(viaApi) as { items: MetricItem[] }).items[0]
    t.equal(item?.metricLabels['foresight.dev/policy'], 'web')
    t.equal(item?.value, '6', 'capacity 0.01 req/s per replica: the load needs far more, so maxReplicas (6) is served')
  })
}
