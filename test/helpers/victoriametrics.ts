/**
 * A real Prometheus-compatible store for integration tests: VictoriaMetrics single-node, backfilled through its
 * import API with the same history test/helpers/prometheus.ts gives Prometheus, behind vmauth, which routes a
 * request only with the right credentials, the tenant header and the path prefix, the way a multi-tenant Mimir,
 * Cortex or VictoriaMetrics cluster sits behind its gateway. The binaries come from hack/build-victoriametrics.sh;
 * without them the tests that need them skip.
 *
 * What was checked with v1.151.0:
 * - /api/v1/import/prometheus takes the text exposition format with millisecond timestamps; after
 *   /internal/force_flush the samples are searchable at once. -search.disableCache keeps an answer cached before
 *   the import from hiding it, and -search.latencyOffset=0s serves the newest minute (30 s are held back by default).
 * - vmauth answers a request whose credentials match a user but no url_map entry (wrong prefix, no or another
 *   tenant header) with 400 "missing route", a request without credentials with 401 at once, and wrong credentials
 *   with 401 after a 2-3 s delay (its brute-force slow-down).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort, historyLookup, historySamples, type HistoryLookup, type StartPrometheusOptions } from './prometheus.js'

/** The version hack/build-victoriametrics.sh builds by default. */
export const VICTORIAMETRICS_VERSION = 'v1.151.0'

export interface VictoriaMetricsBinaries { victoriaMetrics: string; vmauth: string }

/** The cached binaries, or why they are not there (a skip message). */
export function victoriaMetricsBinaries(): VictoriaMetricsBinaries | string {
  const cache = process.env.FORESIGHT_CACHE ?? join(homedir(), '.cache', 'foresight')
  const bin = join(cache, `victoriametrics-${process.env.VICTORIAMETRICS_VERSION ?? VICTORIAMETRICS_VERSION}`, 'bin')
  const b = { victoriaMetrics: join(bin, 'victoria-metrics'), vmauth: join(bin, 'vmauth') }
  if (!existsSync(b.victoriaMetrics) || !existsSync(b.vmauth)) return `VictoriaMetrics is not built (no ${bin}/victoria-metrics or vmauth): run bash hack/build-victoriametrics.sh`
  return b
}

/** One vmauth user: its credentials and the routes (path regexes, required headers) it may take to the store. */
export interface GatewayUser {
  bearerToken?: string
  username?: string
  password?: string
  /** Path prefix the user's requests carry and vmauth strips, e.g. /prometheus. */
  pathPrefix: string
  /** `Name: value` headers a request must carry to be routed (any one of them matches, as vmauth's src_headers). */
  requiredHeaders: readonly string[]
}

export interface RunningStore extends HistoryLookup {
  /** VictoriaMetrics itself, no credentials. */
  storeUrl: string
  /** vmauth in front of it. */
  gatewayUrl: string
  startMs: number
  endMs: number
  /** query_range requests VictoriaMetrics has served so far (from its own /metrics). */
  rangeQueries(): Promise<number>
  /**
   * query_range requests served since the count was `before`: the counter moves only after the answer is sent,
   * so this waits until it moved (up to 2 s), then a little longer for any request still finishing.
   */
  rangeQueriesSince(before: number): Promise<number>
  stop(): Promise<void>
}

// Holds the child's stdin: when the pipe closes (stop(), or the test process dying, even by SIGKILL) the binary
// gets SIGTERM, so no test leaves one behind.
const WATCHDOG = 'exec 3<&0; "$@" </dev/null >&2 & p=$!; { read _ <&3; kill -TERM "$p" 2>/dev/null; } & wait "$p"'

interface Child { proc: ChildProcess; log: string }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function launch(bin: string, args: readonly string[], log: string): Child {
  const fd = openSync(log, 'a')
  const proc = spawn('sh', ['-c', WATCHDOG, 'watchdog', bin, ...args], { stdio: ['pipe', 'ignore', fd] })
  closeSync(fd)
  return { proc, log }
}

async function halt(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return
  const exited = once(c.proc, 'exit')
  c.proc.stdin?.end()
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function waitHealthy(url: string, c: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (c.proc.exitCode !== null) throw new Error(`exited (${c.proc.exitCode}) before it was ready:\n${readFileSync(c.log, 'utf8').split('\n').slice(-15).join('\n')}`)
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms`)
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Starts VictoriaMetrics with the history of `opts` (as startPrometheus backfills it) and vmauth with `users`. */
export async function startVictoriaMetrics(bins: VictoriaMetricsBinaries, users: readonly GatewayUser[], opts: StartPrometheusOptions = {}): Promise<RunningStore> {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-vm-'))
  const children: Child[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(children.splice(0).map(halt))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const storePort = await freePort()
    const storeUrl = `http://127.0.0.1:${storePort}`
    const vm = launch(bins.victoriaMetrics, [
      `-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${storePort}`, '-retentionPeriod=100y',
      '-search.latencyOffset=0s', '-search.disableCache', '-loggerLevel=ERROR',
    ], join(dir, 'victoria-metrics.log'))
    children.push(vm)
    await waitHealthy(`${storeUrl}/health`, vm, 20_000)

    const { families, ...h } = historySamples(opts)
    const lines: string[] = []
    for (const f of families) for (const s of f.series) for (const [tMs, v] of s.samples) lines.push(`${s.head} ${v} ${tMs}`)
    const imported = await fetch(`${storeUrl}/api/v1/import/prometheus`, { method: 'POST', body: `${lines.join('\n')}\n` })
    if (imported.status !== 204) throw new Error(`import answered ${imported.status}: ${await imported.text()}`)
    await fetch(`${storeUrl}/internal/force_flush`)

    const gatewayPort = await freePort()
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
    const config = join(dir, 'auth.yml')
    writeFileSync(config, stringify({
      users: users.map((u) => ({
        ...(u.bearerToken !== undefined ? { bearer_token: u.bearerToken } : {}),
        ...(u.username !== undefined ? { username: u.username, password: u.password } : {}),
        url_map: [{
          src_paths: [`${escapeRegex(u.pathPrefix)}/api/v1/.+`],
          src_headers: u.requiredHeaders,
          url_prefix: storeUrl,
          drop_src_path_prefix_parts: u.pathPrefix.split('/').filter((p) => p !== '').length,
        }],
      })),
    }))
    const gateway = launch(bins.vmauth, [`-auth.config=${config}`, `-httpListenAddr=127.0.0.1:${gatewayPort}`, '-loggerLevel=ERROR'], join(dir, 'vmauth.log'))
    children.push(gateway)
    await waitHealthy(`${gatewayUrl}/health`, gateway, 20_000)

    const rangeQueries = async (): Promise<number> => {
      const text = await (await fetch(`${storeUrl}/metrics`)).text()
      const m = /^vm_http_requests_total\{path="\/api\/v1\/query_range"\} (\d+)$/m.exec(text)
      return Number(m?.[1] ?? 0)
    }
    return {
      storeUrl,
      gatewayUrl,
      startMs: h.startMs,
      endMs: h.endMs,
      ...historyLookup(opts, h),
      rangeQueries,
      async rangeQueriesSince(before) {
        const deadline = Date.now() + 2000
        while ((await rangeQueries()) === before && Date.now() < deadline) await sleep(50)
        await sleep(300)
        return (await rangeQueries()) - before
      },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
