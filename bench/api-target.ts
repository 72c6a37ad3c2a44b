// The process under load for bench/api.ts: the real adapter in kubernetes auth mode (front-proxy certificates,
// SubjectAccessReviews against a local stand-in), kept apart from the load generator so they do not share a CPU queue.
// The stand-in runs in a child process of its own (bench/review-target.ts), so this process holds the adapter
// alone, as a deployed one does, and bench:memory measures only that.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startTestAdapter } from '../test/helpers/adapter.js'
import { servicePolicy } from './services.js'

const [certFile, keyFile, caFile, policiesArg, prometheusUrl] = process.argv.slice(2)
if (certFile === undefined || keyFile === undefined || caFile === undefined) throw new Error('usage: api-target CERT KEY REQUEST_HEADER_CA [POLICIES [PROMETHEUS_URL]]')
const policyCount = Number(policiesArg ?? '1')
// More than one: that many policies named p0, p1, ..., so a query for one of them runs with every other policy's
// results present, as in a cluster with many HPAs. Without a Prometheus they all replay the demo trace; with one,
// each reads its own backfilled series (bench/prometheus-target.ts), as in production (one policy too).
const policySettings: string[] = []
if (policyCount > 1 || prometheusUrl !== undefined) {
  const demo = readFileSync(join(import.meta.dirname, '..', '..', 'assets', 'policies', 'demo.yaml'), 'utf8')
  // One workload per policy: a file, like the admission webhook, refuses a second policy for the same one.
  const policyText = (i: number): string => prometheusUrl === undefined ? demo.replace(/^ {2}name: demo$/m, `  name: p${i}`).replace(/^ {4}name: demo$/m, `    name: svc-${i}`) : servicePolicy(i)
  const file = join(mkdtempSync(join(tmpdir(), 'foresight-bench-api-')), 'policies.yaml')
  writeFileSync(file, Array.from({ length: policyCount }, (_, i) => policyText(i)).join('\n---\n'))
  policySettings.push(`policies.file=${file}`)
  if (prometheusUrl !== undefined) policySettings.push('source.kind=prometheus', `source.url=${prometheusUrl}`)
}
// BENCH_ENGINE_THREAD=main runs refreshes on the API's thread, as before the engine had a worker thread.
if (process.env.BENCH_ENGINE_THREAD !== undefined) policySettings.push(`engine.thread=${process.env.BENCH_ENGINE_THREAD}`)
// BENCH_COLLECT=compact|full|off: the engine worker's collection after each refresh (engine.collectAfterRefresh).
if (process.env.BENCH_COLLECT !== undefined) policySettings.push(`engine.collectAfterRefresh=${process.env.BENCH_COLLECT}`)
const standIn = spawn(process.execPath, [join(import.meta.dirname, 'review-target.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
const standInLines = createInterface({ input: standIn.stdout })
const standInLine = async (): Promise<Record<string, unknown>> => {
  const next = await Promise.race([once(standInLines, 'line'), once(standIn, 'exit').then(([code]) => { throw new Error(`the review stand-in exited (${String(code)})`) })])
  return JSON.parse(String(next[0])) as Record<string, unknown>
}
const { kubeconfigFile } = await standInLine() as { kubeconfigFile: string }
const adapter = await startTestAdapter([
  'auth.mode=kubernetes',
  `auth.kubeconfig=${kubeconfigFile}`,
  `auth.requestHeader.clientCAFile=${caFile}`,
  `tls.certFile=${certFile}`,
  `tls.keyFile=${keyFile}`,
  ...policySettings,
])
process.stdout.write(JSON.stringify({ url: adapter.apiUrl, metricsUrl: adapter.metricsUrl }) + '\n')
process.stdin.on('data', () => {
  const rssBytes = process.memoryUsage().rss
  standIn.stdin.write('stats\n')
  void standInLine().then(({ subjectAccessReviews }) => {
    process.stdout.write(JSON.stringify({ subjectAccessReviews, rssBytes }) + '\n')
  })
})
process.once('SIGTERM', () => {
  standIn.kill('SIGTERM')
  void adapter.close().then(() => process.exit(0))
})
