// The process under load for bench/api.ts: the real adapter in kubernetes auth mode (front-proxy certificates,
// SubjectAccessReviews against a local stand-in), kept apart from the load generator so they do not share a CPU queue.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestAdapter } from '../test/helpers/adapter.js'
import { startReviewStandIn } from '../test/helpers/review-standin.js'

const [certFile, keyFile, caFile, policiesArg] = process.argv.slice(2)
if (certFile === undefined || keyFile === undefined || caFile === undefined) throw new Error('usage: api-target CERT KEY REQUEST_HEADER_CA [POLICIES]')
const policyCount = Number(policiesArg ?? '1')
// More than one: that many copies of the demo policy named p0, p1, ... (all replay the same trace), so a query
// for one of them runs with every other policy's results present, as in a cluster with many HPAs.
const policySettings: string[] = []
if (policyCount > 1) {
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'assets', 'policies', 'demo.yaml'), 'utf8')
  const file = join(mkdtempSync(join(tmpdir(), 'foresight-bench-api-')), 'policies.yaml')
  writeFileSync(file, Array.from({ length: policyCount }, (_, i) => demo.replace(/^ {2}name: demo$/m, `  name: p${i}`)).join('\n---\n'))
  policySettings.push(`policies.file=${file}`)
}
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
process.stdout.write(JSON.stringify({ url: adapter.apiUrl }) + '\n')
process.stdin.on('data', () => {
  process.stdout.write(JSON.stringify({ subjectAccessReviews: standIn.calls.accessReviews.length, rssBytes: process.memoryUsage().rss }) + '\n')
})
process.once('SIGTERM', () => {
  void Promise.all([adapter.close(), standIn.close()]).then(() => process.exit(0))
})
