/**
 * Load generator of the demo: replays the shape of the NASA HTTP 1995 trace (see shape.ts), compressed in time
 * (`--speed 60`: one trace hour per real minute) and scaled so that the trace's peak is `--max-rate` requests per
 * second, against the demo app on the loopback interface only. It stops by itself after `--duration` seconds or
 * `--max-requests` requests, whichever comes first, and prints progress and a final JSON summary line.
 *
 *   node --import tsx hack/demo/load.ts --target http://127.0.0.1:18080 --max-rate 50 --duration 1800
 */
import { pathToFileURL } from 'node:url'
import { loadShape, plannedRequests, shapeAt, traceTimeAt, type Shape } from './shape.js'

export const BOUNDS = { maxRate: 200, durationSeconds: 6 * 3600, maxRequests: 2_000_000, concurrency: 256, speed: 3600 } as const

export interface LoadOptions {
  target: string
  /** Requests per second at the trace's peak. */
  maxRate: number
  durationSeconds: number
  maxRequests: number
  /** Trace seconds per wall second. */
  speed: number
  /** Most requests in flight; a request due while at the limit is skipped, so the generator never piles up. */
  concurrency: number
  progressSeconds: number
}

export interface LoadSummary {
  startMs: number
  endMs: number
  /** What the schedule asked for over [startMs, endMs]. */
  planned: number
  sent: number
  ok: number
  /** Answered with a status >= 400 (the app's /error answers 500 on purpose). */
  httpErrors: number
  /** No answer: connection refused, timeout. */
  failed: number
  skipped: number
}

export const DEFAULTS: LoadOptions = {
  target: 'http://127.0.0.1:18080',
  maxRate: 50,
  durationSeconds: 1800,
  maxRequests: 100_000,
  speed: 60,
  concurrency: 64,
  progressSeconds: 10,
}

export class UsageError extends Error {
  override name = 'UsageError'
}

/** The generator only ever talks to this machine: a demo tool must not be able to load someone else's server. */
export function loopbackTarget(target: string): URL {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new UsageError(`--target ${target} is not a URL`)
  }
  if (url.protocol !== 'http:') throw new UsageError(`--target ${target}: only http:// is supported`)
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname) && url.hostname !== '[::1]' && url.hostname !== 'localhost') {
    throw new UsageError(`--target ${target}: refusing a non-loopback host (${url.hostname}); use 127.0.0.1`)
  }
  return url
}

function numberFlag(name: string, raw: string | undefined, min: number, max: number): number {
  const v = Number(raw)
  if (raw === undefined || raw === '' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw ?? ''}"`)
  return v
}

export function parseArgs(argv: readonly string[]): LoadOptions {
  const o = { ...DEFAULTS }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = argv[i + 1]
    switch (flag) {
      case '--target': o.target = value ?? ''; break
      case '--max-rate': o.maxRate = numberFlag('max-rate', value, 0.1, BOUNDS.maxRate); break
      case '--duration': o.durationSeconds = numberFlag('duration', value, 1, BOUNDS.durationSeconds); break
      case '--max-requests': o.maxRequests = Math.floor(numberFlag('max-requests', value, 1, BOUNDS.maxRequests)); break
      case '--speed': o.speed = numberFlag('speed', value, 1, BOUNDS.speed); break
      case '--concurrency': o.concurrency = Math.floor(numberFlag('concurrency', value, 1, BOUNDS.concurrency)); break
      case '--progress': o.progressSeconds = numberFlag('progress', value, 1, 3600); break
      default: throw new UsageError(`unknown flag ${flag ?? ''} (flags: --target --max-rate --duration --max-requests --speed --concurrency --progress)`)
    }
  }
  loopbackTarget(o.target)
  return o
}

/** Mostly CPU work, some slow and memory requests, 2 % errors: enough variety for the latency histogram. */
function pathFor(i: number): string {
  if (i % 50 === 49) return '/error'
  if (i % 10 === 3) return '/slow?ms=50'
  if (i % 10 === 7) return '/memory?kb=256&ms=50'
  return '/compute?n=20000'
}

const TICK_MS = 50

/**
 * Runs the schedule: every tick, sends as many requests as the integral of the rate says are due by now.
 * Resolves once the duration or request budget is spent (or `signal` aborts) and every request has settled.
 */
export async function runLoad(opts: LoadOptions, log: (line: string) => void, signal?: AbortSignal, shape: Shape = loadShape()): Promise<LoadSummary> {
  const base = loopbackTarget(opts.target)
  const startMs = Date.now()
  const deadline = startMs + opts.durationSeconds * 1000
  const s: LoadSummary = { startMs, endMs: startMs, planned: 0, sent: 0, ok: 0, httpErrors: 0, failed: 0, skipped: 0 }
  let due = 0
  let lastMs = startMs
  let inFlight = 0
  let nextProgress = startMs + opts.progressSeconds * 1000
  const settled = new Set<Promise<void>>()

  const send = (i: number): void => {
    inFlight++
    s.sent++
    const p = fetch(new URL(pathFor(i), base), { signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        await res.arrayBuffer()
        if (res.status < 400) s.ok++
        else s.httpErrors++
      }, () => {
        s.failed++
      })
      .finally(() => {
        inFlight--
        settled.delete(p)
      })
    settled.add(p)
  }

  while (signal?.aborted !== true) {
    const now = Math.min(Date.now(), deadline)
    // Trapezoid step of the rate integral since the previous tick.
    due += ((shapeAt(shape, lastMs, opts.speed) + shapeAt(shape, now, opts.speed)) / 2) * opts.maxRate * ((now - lastMs) / 1000)
    lastMs = now
    while (s.sent + s.skipped < Math.floor(due) && s.sent < opts.maxRequests) {
      if (inFlight >= opts.concurrency) s.skipped++
      else send(s.sent + s.skipped)
    }
    if (now >= nextProgress) {
      nextProgress += opts.progressSeconds * 1000
      const rate = shapeAt(shape, now, opts.speed) * opts.maxRate
      const trace = new Date(traceTimeAt(shape, now, opts.speed)).toISOString().slice(0, 16).replace('T', ' ')
      log(`load: ${((now - startMs) / 1000).toFixed(0)}s trace ${trace} UTC rate ${rate.toFixed(1)}/s sent ${s.sent} ok ${s.ok} http-errors ${s.httpErrors} failed ${s.failed} skipped ${s.skipped} in-flight ${inFlight}`)
    }
    if (now >= deadline || s.sent >= opts.maxRequests) break
    await new Promise((r) => setTimeout(r, TICK_MS))
  }
  s.endMs = lastMs
  await Promise.all([...settled])
  s.planned = Math.round(plannedRequests(shape, s.startMs, s.endMs, opts.maxRate, opts.speed))
  return s
}

async function main(): Promise<void> {
  let opts: LoadOptions
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(2)
  }
  const stop = new AbortController()
  process.once('SIGTERM', () => stop.abort())
  process.once('SIGINT', () => stop.abort())
  const log = (line: string): void => void process.stdout.write(`${line}\n`)
  log(`load: ${opts.target} peak ${opts.maxRate}/s, one trace hour per ${(3600 / opts.speed).toFixed(0)} s, for at most ${opts.durationSeconds} s or ${opts.maxRequests} requests`)
  const summary = await runLoad(opts, log, stop.signal)
  log(`load: done ${JSON.stringify(summary)}`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
