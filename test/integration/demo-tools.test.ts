import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { startApp } from '../../hack/demo/app.js'
import { loopbackTarget, type LoadSummary } from '../../hack/demo/load.js'
import { loadShape, plannedRequests } from '../../hack/demo/shape.js'

// The demo's sample app and load generator (hack/demo), without a cluster: the app in this process on a free
// port, the generator as the CLI that hack/demo.sh runs.

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** Sum of http_requests_total over all label sets, from the app's own /metrics. */
async function requestsTotal(url: string): Promise<{ total: number; series: Map<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const series = new Map<string, number>()
  let total = 0
  for (const m of text.matchAll(/^http_requests_total(\{[^}]*\}) (\S+)$/gm)) {
    const v = Number(m[2])
    series.set(m[1] ?? '', v)
    total += v
  }
  return { total, series }
}

async function runLoadCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'hack/demo/load.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  const [code] = (await once(proc, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

const app = await startApp(0)
t.teardown(() => app.close())

t.test('app: every endpoint answers and is counted by code and route', async (t) => {
  t.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on loopback')
  const calls: Array<[string, number]> = [
    ['/compute?n=1000', 200],
    ['/compute?n=999999999', 400],
    ['/memory?kb=64&ms=5', 200],
    ['/slow?ms=20', 200],
    ['/slow?ms=abc', 400],
    ['/error', 500],
  ]
  const before = await requestsTotal(app.url)
  for (const [path, status] of calls) {
    const res = await fetch(`${app.url}${path}`)
    await res.arrayBuffer()
    t.equal(res.status, status, `GET ${path} -> ${status}`)
  }
  const t0 = Date.now()
  await (await fetch(`${app.url}/slow?ms=150`)).arrayBuffer()
  t.ok(Date.now() - t0 >= 140, '/slow sleeps for the asked time')

  const after = await requestsTotal(app.url)
  t.equal(after.total - before.total, calls.length + 1, 'http_requests_total grew by one per request (scrapes are not counted)')
  t.equal(after.series.get('{code="200",route="/compute"}'), 1)
  t.equal(after.series.get('{code="400",route="/compute"}'), 1)
  t.equal(after.series.get('{code="200",route="/memory"}'), 1)
  t.equal(after.series.get('{code="200",route="/slow"}'), 2)
  t.equal(after.series.get('{code="500",route="/error"}'), 1)

  const text = await (await fetch(`${app.url}/metrics`)).text()
  t.match(text, /http_request_duration_seconds_bucket\{le="0\.25",code="200",route="\/slow"\} 2/, 'latency histogram by route and code')
  t.match(text, /^process_cpu_user_seconds_total /m, 'process metrics')
  t.match(text, /^nodejs_heap_size_used_bytes /m, 'node runtime metrics')
})

t.test('load generator: follows the trace schedule against the app and stops by itself', async (t) => {
  const before = await requestsTotal(app.url)
  const r = await runLoadCli(['--target', app.url, '--max-rate', '40', '--duration', '4', '--progress', '1'])
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.trim()})`)
  t.match(r.stdout, /load: \d+s trace 1995-\d\d-\d\d \d\d:\d\d UTC rate [\d.]+\/s sent \d+/, 'prints progress')
  const line = r.stdout.split('\n').find((l) => l.startsWith('load: done '))
  t.ok(line, 'prints a summary')
  const s = JSON.parse((line ?? '').slice('load: done '.length)) as LoadSummary
  t.ok(s.endMs - s.startMs >= 3900 && s.endMs - s.startMs <= 4100, `ran for the duration (${s.endMs - s.startMs} ms)`)
  t.equal(s.failed, 0, 'no request failed')
  t.equal(s.skipped, 0, 'none skipped at this rate')

  const after = await requestsTotal(app.url)
  t.equal(after.total - before.total, s.sent, `the app counted exactly the ${s.sent} requests sent`)
  // The schedule recomputed here from the trace shape, independently of the generator's own accounting.
  const expected = plannedRequests(loadShape(), s.startMs, s.endMs, 40, 60)
  t.ok(expected > 0, `the trace asks for ${expected.toFixed(1)} requests`)
  t.ok(Math.abs(s.sent - expected) <= 2 + 0.1 * expected, `sent ${s.sent}, about the ${expected.toFixed(1)} the trace asks for at peak 40/s`)
  t.ok(s.sent <= Math.ceil(4 * 40), 'never above the peak rate')
})

t.test('load generator: request budget bounds the run', async (t) => {
  const before = await requestsTotal(app.url)
  const r = await runLoadCli(['--target', app.url, '--max-rate', '100', '--duration', '20', '--max-requests', '5'])
  t.equal(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('load: done '))?.slice('load: done '.length) ?? '{}') as LoadSummary
  t.equal(s.sent, 5, 'stopped at --max-requests')
  t.ok(s.endMs - s.startMs < 15_000, 'well before --duration')
  t.equal((await requestsTotal(app.url)).total - before.total, 5)
})

t.test('load generator: loopback only, bounded flags', async (t) => {
  for (const target of ['http://10.0.0.1:8080', 'http://example.invalid', 'http://192.168.1.1', 'https://127.0.0.1:1']) {
    t.throws(() => loopbackTarget(target), /refusing a non-loopback host|only http/, `refuses ${target}`)
  }
  t.equal(loopbackTarget('http://127.0.0.1:8080').hostname, '127.0.0.1')
  const r = await runLoadCli(['--target', 'http://10.1.2.3:80', '--duration', '1'])
  t.equal(r.code, 2, 'the CLI exits 2')
  t.match(r.stderr, /refusing a non-loopback host \(10\.1\.2\.3\)/)
  t.notMatch(r.stdout, /load: done/, 'sent nothing')
  const tooFast = await runLoadCli(['--target', app.url, '--max-rate', '100000'])
  t.equal(tooFast.code, 2)
  t.match(tooFast.stderr, /--max-rate must be a number from 0\.1 to 200/)
})
