// The process under load for bench/api.ts: the real adapter in kubernetes auth mode (front-proxy certificates,
// SubjectAccessReviews against a local stand-in), kept apart from the load generator so they do not share a CPU queue.
import { startTestAdapter } from '../test/helpers/adapter.js'
import { startReviewStandIn } from '../test/helpers/review-standin.js'

const [certFile, keyFile, caFile] = process.argv.slice(2)
if (certFile === undefined || keyFile === undefined || caFile === undefined) throw new Error('usage: api-target CERT KEY REQUEST_HEADER_CA')
const standIn = await startReviewStandIn()
standIn.allow.add('system:serviceaccount:kube-system:horizontal-pod-autoscaler|default|foresight_desired_replicas')
const adapter = await startTestAdapter([
  'auth.mode=kubernetes',
  `auth.kubeconfig=${standIn.kubeconfigFile}`,
  `auth.requestHeader.clientCAFile=${caFile}`,
  `tls.certFile=${certFile}`,
  `tls.keyFile=${keyFile}`,
])
process.stdout.write(JSON.stringify({ url: adapter.apiUrl }) + '\n')
process.stdin.on('data', () => {
  process.stdout.write(JSON.stringify({ subjectAccessReviews: standIn.calls.accessReviews.length, rssBytes: process.memoryUsage().rss }) + '\n')
})
process.once('SIGTERM', () => {
  void Promise.all([adapter.close(), standIn.close()]).then(() => process.exit(0))
})
