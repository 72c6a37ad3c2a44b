// The kube-apiserver stand-in that the benchmarked adapter authenticates against (TokenReviews and
// SubjectAccessReviews, bench/api-target.ts), in a process of its own: inside the adapter's process its HTTPS app,
// test CA and ASN.1 libraries added to the memory bench:memory measures, which a deployed adapter does not carry.
// Prints {"kubeconfigFile"} once listening; each line on stdin is answered with the reviews made so far.
import { startReviewStandIn } from '../test/helpers/review-standin.js'

const standIn = await startReviewStandIn()
standIn.allow.add('system:serviceaccount:kube-system:horizontal-pod-autoscaler|default|foresight_desired_replicas')
process.stdout.write(JSON.stringify({ kubeconfigFile: standIn.kubeconfigFile }) + '\n')
process.stdin.on('data', () => {
  process.stdout.write(JSON.stringify({ subjectAccessReviews: standIn.calls.accessReviews.length }) + '\n')
})
// Ends with its parent: stdin closes when the adapter's process exits, however it exits.
process.stdin.once('end', () => {
  void standIn.close().then(() => process.exit(0))
})
process.once('SIGTERM', () => {
  void standIn.close().then(() => process.exit(0))
})
