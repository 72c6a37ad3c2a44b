/**
 * A real Prometheus for integration tests, with real history: the three weeks of the NASA 1995 trace shipped
 * in assets/traces (its valid rows only) are shifted to end "now", written as OpenMetrics, turned
 * into TSDB blocks with `promtool tsdb create-blocks-from openmetrics`, and served by `prometheus` on a free
 * loopback port. Everything lives in one temp dir that stop() removes.
 *
 * What was checked with Debian's Prometheus 2.42 / promtool:
 * - promtool writes 2h blocks up to the newest sample, and Prometheus loads all of them at start-up, the one that
 *   ends "now" included (the head is empty, so nothing overlaps): query_range over the last minutes returns the
 *   backfilled samples, no extra scrape target is needed.
 * - promtool re-reads its whole input once per 2h block, so one 8-day file took ~10 s on a busy 2-core machine;
 *   the input is cut into 8h files (aligned to block boundaries) converted two at a time, a few seconds in all.
 * - Range selectors are closed at both ends in 2.x, so rate(x[1m]) at a sample time is exactly (c(t) - c(t-1m)) / 60.
 * - After SIGKILL, a restart on the same data dir and port works (the lock dies with the process).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { bundledTrace } from '../../src/replay/replay-history.js'
import { readTrace } from '../../src/replay/trace.js'

export const STEP_MS = 60_000

export interface ServiceSpec {
  namespace: string
  service: string
  /** The service's load is the trace times this integer (integers keep the counter exact). */
  scale: number
  /** Days of history of this service, up to the harness's `days` (default all): less history, faster start. */
  days?: number
}

export interface PodSpec {
  pod: string
  /** Base error ratio; the outlier pod gets a high one. */
  errorRatio: number
  /** The ratio at each minute of the pod history instead (0 = its first minute), for faults that come and go. */
  ratioAt?: (minuteIndex: number) => number
}

export interface StartPrometheusOptions {
  /** Days of history ending at endMs (default 8). */
  days?: number
  /** Where the shifted trace ends (default: now, floored to the minute). */
  endMs?: number
  services?: readonly ServiceSpec[]
  /** A synthetic scrape gap in every load series: samples in [endMs - fromMinutesAgo, endMs - toMinutesAgo] are left out. */
  gap?: { fromMinutesAgo: number; toMinutesAgo: number }
  pods?: readonly PodSpec[]
  /** Hours of per-pod history (default 6). */
  podHours?: number
  readyTimeoutMs?: number
  /** Scrape targets and rule files for this Prometheus to scrape and evaluate (the default has neither). */
  monitor?: MonitorSpec
}

export interface MonitorSpec {
  /** scrape_configs entries, as in prometheus.yml. */
  scrapeConfigs: readonly object[]
  ruleFiles?: readonly string[]
  /** Scrape and rule evaluation interval (default 1 s). */
  intervalSeconds?: number
}

export interface RunningPrometheus {
  url: string
  port: number
  dir: string
  /** First and last backfilled sample times (ms, on the minute grid). */
  startMs: number
  endMs: number
  services: readonly ServiceSpec[]
  pods: readonly PodSpec[]
  /** Requests in the minute ending at tMs for a service (undefined: no sample, as in the gap). */
  requestsAt(tMs: number, service?: string): number | undefined
  /** The backfilled error ratio of a pod at tMs. */
  errorRatioAt(tMs: number, pod: string): number | undefined
  /** SIGTERM and wait for exit, then remove the temp dir. Safe to call twice. */
  stop(): Promise<void>
  /** SIGKILL and wait for exit; the data dir is kept so restart() can bring it back on the same port. */
  kill(): Promise<void>
  restart(): Promise<void>
}

export const DEFAULT_SERVICES: readonly ServiceSpec[] = [
  { namespace: 'default', service: 'web', scale: 1 },
  { namespace: 'shop', service: 'api', scale: 2, days: 1 },
  { namespace: 'shop', service: 'cart', scale: 3, days: 1 },
]

export const DEFAULT_PODS: readonly PodSpec[] = [
  { pod: 'web-0', errorRatio: 0.01 },
  { pod: 'web-1', errorRatio: 0.012 },
  { pod: 'web-2', errorRatio: 0.35 },
  { pod: 'web-3', errorRatio: 0.008 },
]

/** Small deterministic wiggle so per-pod series are not flat lines. */
export function podRatio(base: number, minuteIndex: number): number {
  return Number((base * (1 + 0.2 * Math.sin(minuteIndex / 7))).toFixed(6))
}

export async function freePort(): Promise<number> {
  const srv = createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const addr = srv.address()
  srv.close()
  await once(srv, 'close')
  if (addr === null || typeof addr === 'string') throw new Error('unable to find a free loopback port')
  return addr.port
}

function labels(l: Record<string, string>): string {
  return '{' + Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',') + '}'
}

/** The valid rows of the trace's last `minutes` real observations, outages and empty rows skipped. */
function traceTail(minutes: number): number[] {
  const { values } = readTrace(bundledTrace())
  const out: number[] = []
  for (let i = values.length - 1; i >= 0 && out.length < minutes; i--) {
    const v = values[i] ?? NaN
    if (Number.isFinite(v)) out.push(v)
  }
  if (out.length < minutes) throw new Error(`the NASA trace holds only ${out.length} valid minutes, ${minutes} wanted`)
  return out.reverse()
}

/**
 * Runs Prometheus under a tiny shell that holds our pipe on its stdin: when the pipe closes (stop(), or the test
 * process dying in any way, even SIGKILL) Prometheus gets SIGTERM, so no test leaves one behind. The shell prints
 * Prometheus's pid (for kill()) and exits when Prometheus does, with its status.
 */
const WATCHDOG = 'exec 3<&0; prometheus "$@" </dev/null >&2 & p=$!; echo "$p"; { read _ <&3; kill -TERM "$p" 2>/dev/null; } & wait "$p"'

/** The services' and pods' samples, shared by every store the tests backfill (Prometheus with promtool, VictoriaMetrics). */
export interface HistorySamples {
  families: Family[]
  startMs: number
  endMs: number
  trace: number[]
  podStartMs: number
  inGap: (tMs: number) => boolean
}

export interface WrittenHistory extends Omit<HistorySamples, 'families'> {
  /** TSDB directory holding the backfilled blocks, and a prometheus.yml with no scrape targets beside it. */
  tsdb: string
  config: string
}

export function historySamples(opts: StartPrometheusOptions): HistorySamples {
  const days = opts.days ?? 8
  const endMs = opts.endMs ?? Math.floor(Date.now() / STEP_MS) * STEP_MS
  const services = opts.services ?? DEFAULT_SERVICES
  const pods = opts.pods ?? DEFAULT_PODS
  const minutes = days * 1440
  const startMs = endMs - (minutes - 1) * STEP_MS
  const trace = traceTail(minutes)
  const inGap = (tMs: number): boolean =>
    opts.gap !== undefined && tMs >= endMs - opts.gap.fromMinutesAgo * STEP_MS && tMs <= endMs - opts.gap.toMinutesAgo * STEP_MS
  const podStartMs = endMs - ((opts.podHours ?? 6) * 60 - 1) * STEP_MS
  const families: Family[] = [
    { name: 'http_requests', type: 'counter', series: [] },
    { name: 'http_requests_per_minute', type: 'gauge', series: [] },
    { name: 'http_requests_errors_ratio', type: 'gauge', series: [] },
  ]
  for (const svc of services) {
    const l = labels({ job: 'demo', namespace: svc.namespace, service: svc.service })
    const counter: Sample[] = []
    const gauge: Sample[] = []
    const fromMs = endMs - (svc.days ?? days) * 86_400_000
    let total = 0
    trace.forEach((v, i) => {
      total += v * svc.scale
      const t = startMs + i * STEP_MS
      if (inGap(t) || t <= fromMs) return
      counter.push([t, total])
      gauge.push([t, v * svc.scale])
    })
    families[0]?.series.push({ head: `http_requests_total${l}`, samples: counter })
    families[1]?.series.push({ head: `http_requests_per_minute${l}`, samples: gauge })
  }
  for (const p of pods) {
    const samples: Sample[] = []
    for (let t = podStartMs, i = 0; t <= endMs; t += STEP_MS, i++) samples.push([t, p.ratioAt?.(i) ?? podRatio(p.errorRatio, i)])
    families[2]?.series.push({ head: `http_requests_errors_ratio${labels({ job: 'demo', namespace: 'default', service: 'web', pod: p.pod })}`, samples })
  }
  return { families, startMs, endMs, trace, podStartMs, inGap }
}

/**
 * Backfills the services' and pods' history into `dir` with promtool (the part of startPrometheus that
 * hack/prometheus-history.ts also uses for the long-running Prometheus of hack/cluster-up.sh).
 */
export async function writeHistory(opts: StartPrometheusOptions, dir: string): Promise<WrittenHistory> {
  const { families, ...h } = historySamples(opts)
  const tsdb = join(dir, 'tsdb')
  await backfill(families, h.startMs, h.endMs, dir, tsdb)
  const config = join(dir, 'prometheus.yml')
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nscrape_configs: []\n')
  return { ...h, tsdb, config }
}

/** What the backfilled history holds: requests of a service in the minute ending at a time, a pod's error ratio. */
export interface HistoryLookup {
  requestsAt: (tMs: number, service?: string) => number | undefined
  errorRatioAt: (tMs: number, pod: string) => number | undefined
}

export function historyLookup(opts: StartPrometheusOptions, h: Omit<HistorySamples, 'families'>): HistoryLookup {
  const days = opts.days ?? 8
  const services = opts.services ?? DEFAULT_SERVICES
  const pods = opts.pods ?? DEFAULT_PODS
  const { startMs, endMs, trace, podStartMs, inGap } = h
  const traceIndex = (tMs: number): number | undefined => {
    if ((tMs - startMs) % STEP_MS !== 0 || tMs < startMs || tMs > endMs || inGap(tMs)) return undefined
    return (tMs - startMs) / STEP_MS
  }
  return {
    requestsAt(tMs, service = 'web') {
      const i = traceIndex(tMs)
      const svc = services.find((s) => s.service === service)
      if (i === undefined || svc === undefined || tMs <= endMs - (svc.days ?? days) * 86_400_000) return undefined
      const v = trace[i]
      return v === undefined ? undefined : v * svc.scale
    },
    errorRatioAt(tMs, pod) {
      const p = pods.find((x) => x.pod === pod)
      if (p === undefined || tMs < podStartMs || tMs > endMs || (tMs - podStartMs) % STEP_MS !== 0) return undefined
      const i = (tMs - podStartMs) / STEP_MS
      return p.ratioAt?.(i) ?? podRatio(p.errorRatio, i)
    },
  }
}

export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const services = opts.services ?? DEFAULT_SERVICES
  const pods = opts.pods ?? DEFAULT_PODS
  const dir = mkdtempSync(join(tmpdir(), 'foresight-prom-'))
  const { tsdb, config, startMs, endMs, trace, podStartMs, inGap } = await writeHistory(opts, dir)
  if (opts.monitor !== undefined) {
    const every = `${opts.monitor.intervalSeconds ?? 1}s`
    writeFileSync(config, stringify({
      global: { scrape_interval: every, evaluation_interval: every },
      scrape_configs: opts.monitor.scrapeConfigs,
      rule_files: opts.monitor.ruleFiles ?? [],
    }))
  }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const logFile = join(dir, 'prometheus.log')
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000
  let child: { proc: ChildProcess; pid: number | undefined } | undefined

  const launch = async (): Promise<void> => {
    const fd = openSync(logFile, 'a')
    const args = [`--config.file=${config}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=60d', '--log.level=warn']
    const proc = spawn('sh', ['-c', WATCHDOG, 'prometheus-watchdog', ...args], { stdio: ['pipe', 'pipe', fd] })
    closeSync(fd)
    proc.on('error', (err) => writeFileSync(logFile, `unable to start prometheus: ${err.message}\n`, { flag: 'a' }))
    if (proc.stdout === null) throw new Error('unable to read the watchdog\'s output')
    const [line] = (await Promise.race([once(proc.stdout, 'data'), once(proc, 'exit').then(() => [''])])) as [Buffer | string]
    const pid = Number(String(line).trim())
    child = { proc, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined }
    await waitReady(url, proc, readyTimeoutMs, logFile)
  }

  const halt = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined) return
    const { proc, pid } = c
    const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : once(proc, 'exit')
    const killPrometheus = (sig: NodeJS.Signals): void => {
      try {
        if (pid !== undefined) process.kill(pid, sig)
      } catch {
        // already gone
      }
    }
    if (signal === 'SIGKILL') killPrometheus('SIGKILL')
    // Closing the watchdog's stdin makes it send SIGTERM (a no-op after SIGKILL) and wait for Prometheus.
    proc.stdin?.end()
    const timer = setTimeout(() => killPrometheus('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  try {
    await launch()
  } catch (err) {
    await halt('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  const lookup = historyLookup(opts, { startMs, endMs, trace, podStartMs, inGap })
  let stopped = false
  return {
    url,
    port,
    dir,
    startMs,
    endMs,
    services,
    pods,
    requestsAt: lookup.requestsAt,
    errorRatioAt: lookup.errorRatioAt,
    async stop() {
      if (stopped) return
      stopped = true
      await halt('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGKILL')
      await launch()
    },
  }
}

type Sample = [tMs: number, value: number]
export interface Family {
  name: string
  type: 'counter' | 'gauge'
  series: Array<{ head: string; samples: Sample[] }>
}

/** promtool re-reads its whole input once per 2h block it writes, so the input is cut into chunks of a few blocks. */
const CHUNK_MS = 8 * 3_600_000

/**
 * Writes one OpenMetrics file per time chunk (aligned to promtool's 2h block boundaries) and converts them two at
 * a time: one 8-day file took promtool ~10 s on a busy 2-core machine, chunked it is a fraction of that.
 */
async function backfill(families: readonly Family[], startMs: number, endMs: number, dir: string, tsdb: string): Promise<void> {
  const files: string[] = []
  for (let from = Math.floor(startMs / CHUNK_MS) * CHUNK_MS; from <= endMs; from += CHUNK_MS) {
    const lines: string[] = []
    for (const f of families) {
      lines.push(`# TYPE ${f.name} ${f.type}`)
      for (const s of f.series) for (const [t, v] of s.samples) if (t >= from && t < from + CHUNK_MS) lines.push(`${s.head} ${v} ${t / 1000}`)
    }
    lines.push('# EOF', '')
    const file = join(dir, `chunk-${files.length}.om`)
    writeFileSync(file, lines.join('\n'))
    files.push(file)
  }
  const queue = [...files]
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', f, tsdb], 60_000)
      rmSync(f)
    }
  }
  await Promise.all([worker(), worker()])
}

async function waitReady(url: string, proc: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const tail = (): string => readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`prometheus exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${tail()}`)
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms:\n${tail()}`)
}

async function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${code ?? signal}${signal === 'SIGKILL' ? `, killed after ${timeoutMs} ms` : ''}):\n${stderr}`)
}
