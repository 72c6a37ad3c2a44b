import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { countedSince, render, type ReplayState } from '../../hack/replay-exporter.js'
import { freePort } from '../helpers/prometheus.js'

// hack/prometheus-history.ts, the backfill hack/cluster-up.sh runs before it starts Prometheus: real promtool
// output, checked without a cluster.

const REPO = fileURLToPath(new URL('../..', import.meta.url))

async function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'hack/prometheus-history.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  proc.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000)
  const [code] = (await once(proc, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

t.test('one day of history becomes TSDB blocks and a config with no scrape targets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-history-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await run(['--dir', dir, '--days', '1'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { tsdb: string; config: string; replay: string; startMs: number; endMs: number }
  t.equal(out.endMs - out.startMs, (1440 - 1) * 60_000, 'one day of 1-minute samples')
  t.ok(Math.abs(Date.now() - out.endMs) < 5 * 60_000, 'the history ends now')
  t.ok(existsSync(out.config))
  // promtool writes 2-hour blocks: a day spans 12 or 13 of them, each with its meta.json.
  const blocks = readdirSync(out.tsdb).filter((b) => existsSync(join(out.tsdb, b, 'meta.json')))
  t.ok(blocks.length >= 12 && blocks.length <= 13, `${blocks.length} blocks`)
})

t.test('bad arguments are refused with a message', async (t) => {
  const noDir = await run(['--days', '1'])
  t.not(noDir.code, 0)
  t.match(noDir.stderr, /--dir is required/)
  const badDays = await run(['--dir', join(tmpdir(), 'unused'), '--days', '0'])
  t.not(badDays.code, 0)
  t.match(badDays.stderr, /--days must be an integer in \[1, 30\], got 0/)
})

t.test('the replay continues each series where the backfill ends, repeating its last day', async (t) => {
  const day = Array.from({ length: 1440 }, (_, i) => i % 7)
  const daySum = day.reduce((a, v) => a + v, 0)
  const s: ReplayState = { endMs: 6_000_000, day, services: [{ namespace: 'default', service: 'web', scale: 200, total: 1_000 }], pods: [{ pod: 'web-2', errorRatio: 0.35 }], podStartMs: 0 }
  const cases: Array<[string, number, number]> = [
    ['at the end of the backfill', s.endMs, 0],
    ['before it', s.endMs - 60_000, 0],
    ['one minute later: the value of a day before', s.endMs + 60_000, day[0] ?? 0],
    ['half a minute later: spread over the minute', s.endMs + 30_000, (day[0] ?? 0) / 2],
    ['a day later', s.endMs + 86_400_000, daySum],
    ['two days and two minutes later', s.endMs + 2 * 86_400_000 + 120_000, 2 * daySum + (day[0] ?? 0) + (day[1] ?? 0)],
  ]
  for (const [name, tMs, want] of cases) t.equal(countedSince(s, tMs), want, name)
  const text = render(s, s.endMs + 60_000)
  t.match(text, `http_requests_total{job="demo",namespace="default",service="web"} ${1_000 + 200 * (day[0] ?? 0)}\n`)
  t.match(text, /^http_requests_errors_ratio\{job="demo",namespace="default",service="web",pod="web-2"\} 0\.\d+$/m)
})

t.test('cluster-up\'s Prometheus keeps the backfilled series live by scraping the replay exporter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-history-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const exporterPort = await freePort()
  const r = await run(['--dir', dir, '--days', '1', '--exporter', `127.0.0.1:${exporterPort}`, '--scrape-interval', '1'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { tsdb: string; config: string; replay: string; endMs: number }
  const state = JSON.parse(readFileSync(out.replay, 'utf8')) as ReplayState
  const exporter = spawn(process.execPath, ['--import', 'tsx', 'hack/replay-exporter.ts', '--state', out.replay, '--listen', `127.0.0.1:${exporterPort}`], { cwd: REPO, stdio: 'ignore' })
  t.teardown(() => { exporter.kill('SIGKILL') })
  const promPort = await freePort()
  const prom = spawn('prometheus', [`--config.file=${out.config}`, `--storage.tsdb.path=${out.tsdb}`, `--web.listen-address=127.0.0.1:${promPort}`, '--storage.tsdb.retention.time=60d', '--log.level=warn'], { stdio: 'ignore' })
  t.teardown(() => { prom.kill('SIGKILL') })
  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(2_000) })
    return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result
  }
  // Until a scrape newer than the backfill has landed (bounded: 30 s).
  let scraped: Array<{ metric: Record<string, string>; value: [number, string] }> = []
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 500))) {
    scraped = await query(`timestamp(http_requests_total{namespace="default",service="web"}) > ${out.endMs / 1000}`).catch(() => [])
    if (scraped.length > 0) break
  }
  t.equal(scraped.length, 1, 'a sample newer than the backfill, in the one and only web series')
  const series = await query('http_requests_total{namespace="default",service="web"}')
  t.same(series.map((x) => x.metric), [{ __name__: 'http_requests_total', job: 'demo', namespace: 'default', service: 'web' }], 'the backfilled series itself continues, no second series beside it')
  t.ok(Number(series[0]?.value[1]) >= (state.services[0]?.total ?? Infinity), 'the counter continues from the backfilled total')
  const load = await query('sum(rate(http_requests_total{namespace="default",service="web"}[2m]))')
  t.equal(load.length, 1, 'the load query of the example policy answers now')
})
