/**
 * Backfills Prometheus with the history the demo's load generator would have produced over the last hours, so
 * the forecaster has context from the first minute instead of starting cold. Same approach as
 * test/helpers/prometheus.ts: write OpenMetrics, convert with `promtool tsdb create-blocks-from openmetrics`,
 * then start Prometheus on that data dir (hack/demo.sh does).
 *
 *   node --import tsx hack/demo/backfill.ts --out <tsdb dir> [--hours 3] [--max-rate 50] [--speed 60]
 *
 * The curve is shape.ts's, a function of the wall clock, so the live load continues it where it ends. The
 * series has its own instance label ("history"): the live scrape's series is a different one, and the policy's
 * sum(rate(...)) adds them up across the seam.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadShape, shapeAt } from './shape.js'

export interface BackfillOptions {
  out: string
  hours: number
  maxRate: number
  speed: number
  /** Sample spacing, the demo's scrape interval. */
  stepSeconds: number
  endMs: number
}

export const HISTORY_LABELS = 'job="web",instance="history",namespace="default",service="web",code="200",route="/compute"'

/** OpenMetrics text of the history: one counter, the integral of the rate, one sample per step ending at endMs. */
export function historyOpenMetrics(o: Omit<BackfillOptions, 'out'>): string {
  const shape = loadShape()
  const stepMs = o.stepSeconds * 1000
  const endMs = Math.floor(o.endMs / stepMs) * stepMs
  const n = Math.floor((o.hours * 3_600_000) / stepMs)
  const lines = ['# TYPE http_requests counter']
  let total = 0
  for (let i = 0; i <= n; i++) {
    const t = endMs - (n - i) * stepMs
    if (i > 0) total += ((shapeAt(shape, t - stepMs, o.speed) + shapeAt(shape, t, o.speed)) / 2) * o.maxRate * o.stepSeconds
    lines.push(`http_requests_total{${HISTORY_LABELS}} ${total.toFixed(3)} ${t / 1000}`)
  }
  lines.push('# EOF', '')
  return lines.join('\n')
}

async function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const [code, signal] = (await Promise.race([
    once(proc, 'exit'),
    once(proc, 'error').then(([err]) => { throw new Error(`unable to run ${cmd}: ${(err as Error).message}`) }),
  ])) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${code ?? signal}):\n${stderr}`)
}

export async function backfill(o: BackfillOptions): Promise<number> {
  mkdirSync(o.out, { recursive: true })
  const file = join(o.out, '..', 'history.om')
  const text = historyOpenMetrics(o)
  writeFileSync(file, text)
  try {
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, o.out], 120_000)
  } finally {
    rmSync(file, { force: true })
  }
  return text.split('\n').length - 3
}

function parseArgs(argv: readonly string[]): BackfillOptions {
  const o: BackfillOptions = { out: '', hours: 3, maxRate: 50, speed: 60, stepSeconds: 5, endMs: Date.now() }
  const num = (flag: string, v: string | undefined, min: number, max: number): number => {
    const x = Number(v)
    if (v === undefined || !Number.isFinite(x) || x < min || x > max) throw new Error(`${flag} must be a number from ${min} to ${max}`)
    return x
  }
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1]
    switch (argv[i]) {
      case '--out': o.out = v ?? ''; break
      case '--hours': o.hours = num('--hours', v, 1, 48); break
      case '--max-rate': o.maxRate = num('--max-rate', v, 0.1, 200); break
      case '--speed': o.speed = num('--speed', v, 1, 3600); break
      case '--step': o.stepSeconds = num('--step', v, 1, 60); break
      default: throw new Error(`unknown flag ${argv[i] ?? ''} (flags: --out --hours --max-rate --speed --step)`)
    }
  }
  if (o.out === '') throw new Error('--out <tsdb dir> is required')
  return o
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  const t0 = Date.now()
  const samples = await backfill(o)
  process.stdout.write(`backfill: ${samples} samples over ${o.hours} h into ${o.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`backfill: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
