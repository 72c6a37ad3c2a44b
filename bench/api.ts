// npm run bench:api: keep-alive HTTPS load on the external metric route with authentication (front-proxy client
// certificate + X-Remote-User) and authorization (SubjectAccessReview, cache warm) on. Prints throughput and latency.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import autocannon from 'autocannon'
import { makeTestPki } from '../test/helpers/pki.js'
import { pacedLoad, percentile } from './paced.js'

const durationSeconds = Number(process.env.BENCH_DURATION_SECONDS ?? '20')
const connections = Number(process.env.BENCH_CONNECTIONS ?? '32')
// BENCH_POLICIES > 1 serves that many policies and spreads the requests over all of them, one HPA's query each.
const policies = Number(process.env.BENCH_POLICIES ?? '1')

// BENCH_SOURCE=prometheus (with BENCH_POLICIES > 1): the policies read a real Prometheus backfilled with one series
// each (90 minutes of history, bench/prometheus-target.ts, its own process) instead of replaying the demo trace.
const prometheus = process.env.BENCH_SOURCE === 'prometheus' && policies > 1
  ? spawn(process.execPath, [join(import.meta.dirname, 'prometheus-target.js'), String(policies)], { stdio: ['ignore', 'pipe', 'inherit'] })
  : undefined
// Whatever ends this process (an error included) ends the processes it started.
const children: ChildProcess[] = prometheus === undefined ? [] : [prometheus]
process.once('exit', () => {
  for (const c of children) c.kill('SIGTERM')
})
const firstLine = async (child: ChildProcess & { stdout: Readable }): Promise<string> => {
  const first = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line').then(([l]) => ({ line: String(l) })),
    once(child, 'exit').then(([code]) => ({ code: String(code) })),
  ])
  if ('line' in first) return first.line
  throw new Error(`a benchmark process exited (${first.code}) before it was ready`)
}
const prometheusUrl = prometheus === undefined ? [] : [(JSON.parse(await firstLine(prometheus)) as { url: string }).url]

const pki = makeTestPki()
// The server runs with this process's Node flags (package.json passes the ones the image's entrypoint uses).
const server = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'api-target.js'), pki.servingFiles.certFile, pki.servingFiles.keyFile, pki.requestHeaderCAFile, String(policies), ...prometheusUrl], { stdio: ['pipe', 'pipe', 'inherit'] })
children.push(server)
const lines = createInterface({ input: server.stdout })
const nextLine = async (): Promise<Record<string, unknown>> => JSON.parse(String((await once(lines, 'line'))[0])) as Record<string, unknown>
const { url, metricsUrl } = await nextLine() as { url: string; metricsUrl: string }

const pathOf = (i: number): string =>
  `/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas?labelSelector=foresight.dev%2Fpolicy%3D${policies > 1 ? `p${i % policies}` : 'demo'}`
const path = pathOf(0)
let saturatedCount = 0
const options: autocannon.Options = {
  url: url + path,
  requests: [{ setupRequest: (req) => ({ ...req, path: pathOf(saturatedCount++) }) }],
  connections,
  duration: durationSeconds,
  headers: { 'x-remote-user': 'system:serviceaccount:kube-system:horizontal-pod-autoscaler', 'x-remote-group': 'system:serviceaccounts' },
  tlsOptions: { cert: pki.frontProxy.certPem, key: pki.frontProxy.keyPem, ca: pki.servingCA.certPem },
}
// Warm the review cache and the JIT before measuring. The paced run goes first, while this process's heap is
// small: its latency is counted from each request's due time, so a pause here would count against the server.
await autocannon({ ...options, duration: 3 })
const targetRate = Number(process.env.BENCH_RATE ?? '2000')
const pacedOptions = {
  url: (i: number): string => url + pathOf(i),
  ratePerSecond: targetRate,
  connections: 16,
  headers: options.headers as Record<string, string>,
  tls: { cert: pki.frontProxy.certPem, key: pki.frontProxy.keyPem, ca: pki.servingCA.certPem },
}
// The generator's own code path warms up too (JIT, connections), outside the measurement.
await pacedLoad({ ...pacedOptions, durationSeconds: 3 })
// BENCH_SCRAPE_SECONDS=<n>: /metrics is scraped every n seconds during the paced run, as Prometheus does.
const scrapeEverySeconds = Number(process.env.BENCH_SCRAPE_SECONDS ?? '0')
const scrapesMs: number[] = []
const scrapeFailures: string[] = []
const scraper = scrapeEverySeconds > 0
  ? setInterval(() => {
    const started = performance.now()
    void fetch(`${metricsUrl}/metrics`)
      .then(async (res) => {
        await res.text()
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        scrapesMs.push(performance.now() - started)
      })
      .catch((err: unknown) => { scrapeFailures.push(String(err)) })
  }, scrapeEverySeconds * 1000)
  : undefined
const paced = await pacedLoad({ ...pacedOptions, durationSeconds })
clearInterval(scraper)
const pacedMs = (p: number): string => percentile(paced.latenciesMs, p).toFixed(2)
const saturated = await autocannon(options)
server.stdin.write('stats\n')
const stats = await nextLine() as { subjectAccessReviews: number; rssBytes: number }
server.kill('SIGTERM')
await once(server, 'exit')
if (prometheus !== undefined) {
  prometheus.kill('SIGTERM')
  await once(prometheus, 'exit')
}

const col = (v: string | number): string => String(v).padStart(14)
const line = (k: string, a: string | number, b: string | number): string => `${k.padEnd(30)}${col(a)}${col(b)}`
console.log(`\nbench:api  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`)
console.log(policies > 1 ? `GET ${pathOf(0).replace(/p0$/, 'p<i>')}, i cycling over ${policies} policies (${prometheus === undefined ? 'all replaying the demo trace' : 'each reading its own series from a real Prometheus'})` : `GET ${path}`)
console.log(`HTTPS keep-alive, ${durationSeconds} s per run, front-proxy client certificate + X-Remote-User, SubjectAccessReview (cache warm); engine on the ${process.env.BENCH_ENGINE_THREAD ?? 'worker'} thread\n`)
console.log(line('', 'saturated', `paced ${targetRate}/s`))
console.log(line('connections', connections, 16))
console.log(line('requests/s (mean)', saturated.requests.average.toFixed(0), paced.achievedPerSecond.toFixed(0)))
console.log(line('requests total', saturated.requests.total, paced.sent))
console.log(line('latency p50 (ms)', saturated.latency.p50, pacedMs(50)))
console.log(line('latency p99 (ms)', saturated.latency.p99, pacedMs(99)))
console.log(line('latency p99.9 (ms)', saturated.latency.p99_9, pacedMs(99.9)))
console.log(line('latency max (ms)', saturated.latency.max, pacedMs(100)))
console.log(line('failed (non-2xx or error)', saturated.non2xx + saturated.errors + saturated.timeouts, paced.failed))
console.log(`\nSubjectAccessReviews made in all: ${stats.subjectAccessReviews}; adapter RSS after load: ${(stats.rssBytes / 1048576).toFixed(0)} MiB`)
if (scrapeEverySeconds > 0) console.log(`/metrics scraped every ${scrapeEverySeconds} s during the paced run: ${scrapesMs.length} scrapes, ${scrapesMs.map((ms) => ms.toFixed(0)).join(', ')} ms each${scrapeFailures.length > 0 ? `; FAILED: ${scrapeFailures.join('; ')}` : ''}`)
const p99 = percentile(paced.latenciesMs, 99)
const sustained = paced.achievedPerSecond >= targetRate * 0.98 && paced.failed === 0
console.log(`target ${targetRate} req/s sustained with p99 < 5 ms: ${sustained && p99 < 5 ? 'met' : 'NOT met'} (${paced.achievedPerSecond.toFixed(0)} req/s, p99 ${p99.toFixed(2)} ms)`)
console.log('saturated: autocannon, closed loop; paced: open loop at a steady rate, latency from each request\'s due time')
if (saturated.non2xx + saturated.errors + paced.failed > 0) process.exitCode = 1
