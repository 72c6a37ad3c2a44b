// The process under load for bench/api.ts: the real adapter in kubernetes auth mode (front-proxy certificates,
// SubjectAccessReviews against a local stand-in), kept apart from the load generator so they do not share a CPU queue.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestAdapter } from '../test/helpers/adapter.js'
import { startReviewStandIn } from '../test/helpers/review-standin.js'
import { serviceQuery } from './services.js'

const [certFile, keyFile, caFile, policiesArg, prometheusUrl] = process.argv.slice(2)
if (certFile === undefined || keyFile === undefined || caFile === undefined) throw new Error('usage: api-target CERT KEY REQUEST_HEADER_CA [POLICIES [PROMETHEUS_URL]]')
const policyCount = Number(policiesArg ?? '1')
// More than one: that many policies named p0, p1, ..., so a query for one of them runs with every other policy's
// results present, as in a cluster with many HPAs. Without a Prometheus they all replay the demo trace; with one,
// each reads its own backfilled series (bench/prometheus-target.ts), as in production.
const policySettings: string[] = []
if (policyCount > 1) {
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'assets', 'policies', 'demo.yaml'), 'utf8')
  const fromPrometheus = (i: number): string => `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: { name: p${i}, namespace: default }
spec:
  scaleTargetRef: { name: svc-${i} }
  load: { query: '${serviceQuery(i)}', capacityPerReplica: 0.25 }
  maxReplicas: 200
`
  // One workload per policy: a file, like the admission webhook, refuses a second policy for the same one.
  const policyText = (i: number): string => prometheusUrl === undefined ? demo.replace(/^ {2}name: demo$/m, `  name: p${i}`).replace(/^ {4}name: demo$/m, `    name: svc-${i}`) : fromPrometheus(i)
  const file = join(mkdtempSync(join(tmpdir(), 'foresight-bench-api-')), 'policies.yaml')
  writeFileSync(file, Array.from({ length: policyCount }, (_, i) => policyText(i)).join('\n---\n'))
  policySettings.push(`policies.file=${file}`)
  if (prometheusUrl !== undefined) policySettings.push('source.kind=prometheus', `source.url=${prometheusUrl}`)
}
// BENCH_ENGINE_THREAD=main runs refreshes on the API's thread, as before the engine had a worker thread.
if (process.env.BENCH_ENGINE_THREAD !== undefined) policySettings.push(`engine.thread=${process.env.BENCH_ENGINE_THREAD}`)
// BENCH_COLLECT=compact|full|off: the engine worker's collection after each refresh (engine.collectAfterRefresh).
if (process.env.BENCH_COLLECT !== undefined) policySettings.push(`engine.collectAfterRefresh=${process.env.BENCH_COLLECT}`)
const standIn = await startReviewStandIn()
standIn.allow.add('system:serviceaccount:kube-system:horizontal-pod-autoscaler|default|foresight_desired_replicas')
const adapter = await startTestAdapter([
  'auth.mode=kubernetes',
  `auth.kubeconfig=${standIn.kubeconfigFile}`,
  `auth.requestHeader.clientCAFile=${caFile}`,
  `tls.certFile=${certFile}`,
  `tls.keyFile=${keyFile}`,
  ...policySettings,
])
process.stdout.write(JSON.stringify({ url: adapter.apiUrl, metricsUrl: adapter.metricsUrl }) + '\n')
process.stdin.on('data', () => {
  process.stdout.write(JSON.stringify({ subjectAccessReviews: standIn.calls.accessReviews.length, rssBytes: process.memoryUsage().rss }) + '\n')
})
process.once('SIGTERM', () => {
  void Promise.all([adapter.close(), standIn.close()]).then(() => process.exit(0))
})
