/**
 * Keeps the backfilled history of hack/cluster-up.sh's Prometheus live: serves, for Prometheus to scrape, the same
 * series hack/prometheus-history.ts backfilled (same names and labels), continuing past the end of the backfill
 * with the trace's last day replayed over and over (the sample of each minute is the one a day before). Without it
 * the series stop at start-up, and a few minutes later every policy reading them falls into its fallback.
 *
 *   node --import tsx hack/replay-exporter.ts --state DIR/replay.json --listen 127.0.0.1:PORT
 *
 * Loopback only. Exits on SIGTERM or SIGINT.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { podRatio } from '../test/helpers/prometheus.js'

const MINUTE_MS = 60_000
const DAY_MINUTES = 1440

/** What prometheus-history.ts leaves for the exporter: where each series stands at the end of the backfill. */
export interface ReplayState {
  /** Time of the last backfilled sample (on the minute grid). */
  endMs: number
  /** The trace's per-minute values of the last backfilled day, oldest first (1440 of them). */
  day: number[]
  services: Array<{ namespace: string; service: string; scale: number; /** counter value at endMs */ total: number }>
  pods: Array<{ pod: string; errorRatio: number }>
  /** Time of the first backfilled per-pod sample: the wiggle of podRatio counts minutes from here. */
  podStartMs: number
}

/** The trace value of minute j after the end (j >= 1): the one a day earlier, so the last day repeats. */
function minuteValue(s: ReplayState, j: number): number {
  return s.day[(j - 1) % DAY_MINUTES] ?? 0
}

/** Requests counted by `tMs` in the trace units (times a service's scale gives its counter), from endMs on. */
export function countedSince(s: ReplayState, tMs: number): number {
  const k = Math.max(0, (tMs - s.endMs) / MINUTE_MS)
  const whole = Math.floor(k)
  const daySum = s.day.reduce((a, v) => a + v, 0)
  let sum = Math.floor(whole / DAY_MINUTES) * daySum
  for (let j = 1; j <= whole % DAY_MINUTES; j++) sum += minuteValue(s, j)
  // Spread over the minute, so a scrape every 15 s sees a steady rate rather than a step per minute.
  return sum + (k - whole) * minuteValue(s, whole + 1)
}

/** The exposition Prometheus scrapes at `tMs`. */
export function render(s: ReplayState, tMs: number): string {
  const counted = countedSince(s, tMs)
  const minute = Math.max(1, Math.ceil((tMs - s.endMs) / MINUTE_MS))
  const lines = ['# TYPE http_requests_total counter']
  for (const svc of s.services) lines.push(`http_requests_total{job="demo",namespace="${svc.namespace}",service="${svc.service}"} ${svc.total + svc.scale * counted}`)
  lines.push('# TYPE http_requests_per_minute gauge')
  for (const svc of s.services) lines.push(`http_requests_per_minute{job="demo",namespace="${svc.namespace}",service="${svc.service}"} ${svc.scale * minuteValue(s, minute)}`)
  lines.push('# TYPE http_requests_errors_ratio gauge')
  const podMinute = Math.round((tMs - s.podStartMs) / MINUTE_MS)
  for (const p of s.pods) lines.push(`http_requests_errors_ratio{job="demo",namespace="default",service="web",pod="${p.pod}"} ${podRatio(p.errorRatio, podMinute)}`)
  return `${lines.join('\n')}\n`
}

function main(): void {
  const { values } = parseArgs({ options: { state: { type: 'string' }, listen: { type: 'string' } } })
  if (values.state === undefined || values.listen === undefined) throw new Error('--state and --listen are required')
  const m = /^(127\.\d+\.\d+\.\d+):(\d+)$/.exec(values.listen)
  if (m === null) throw new Error(`--listen must be a loopback address and port (127.0.0.1:PORT), got ${values.listen}`)
  const state = JSON.parse(readFileSync(values.state, 'utf8')) as ReplayState
  if (state.day.length !== DAY_MINUTES) throw new Error(`${values.state}: expected ${DAY_MINUTES} minutes of trace, found ${state.day.length}`)
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render(state, Date.now()))
  })
  server.listen(Number(m[2]), m[1], () => process.stdout.write(`replay-exporter: serving ${values.listen}/metrics from ${values.state}\n`))
  const stop = (): void => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main()
  } catch (err) {
    process.stderr.write(`replay-exporter: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(2)
  }
}
