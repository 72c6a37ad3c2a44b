import { join } from 'node:path'
import { loadNabSeries, loadNasa, NASA_FILE, sharedDataDir, type Series } from '../traces.js'

// Real load shapes for the remediation scenarios: request counts over time from public traces, cut into segments
// and brought onto a one-minute grid. Only the shape is taken (normalised to a mean of 1); each scenario scales it
// to its own workload.

export type TraceName = 'nasa' | 'elb' | 'taxi'

export interface TraceSegment { trace: TraceName; fromDay: number; days: number }

const FILES: Readonly<Record<Exclude<TraceName, 'nasa'>, string>> = {
  // AWS ELB request counts, 5-minute steps, 14 days (NAB).
  elb: 'realAWSCloudwatch/elb_request_count_8c0756.csv',
  // New York taxi passengers, 30-minute steps, 7 months (NAB): a demand curve with a strong daily and weekly cycle.
  taxi: 'realKnownCause/nyc_taxi.csv',
}

const cache = new Map<TraceName, Series>()
let dataDir = (): string => sharedDataDir()

/** Reads the traces from `dir` (the same layout as the data dir) instead: tests use the fixtures' first days. */
export function readTracesFrom(dir: string): void {
  dataDir = () => dir
  cache.clear()
}

function series(trace: TraceName): Series {
  let s = cache.get(trace)
  if (s === undefined) {
    s = trace === 'nasa' ? loadNasa(join(dataDir(), NASA_FILE)) : loadNabSeries(FILES[trace], dataDir())
    cache.set(trace, s)
  }
  return s
}

const MINUTE_MS = 60_000

/**
 * `days` of the trace from `fromDay` days after its first row, one value per minute, mean 1. Coarser steps are
 * interpolated linearly; gaps and masked outages are bridged between the valid rows around them.
 */
export function loadShape(seg: TraceSegment): Float64Array {
  const s = series(seg.trace)
  const t0 = (s.timestampsMs[0] ?? 0) + seg.fromDay * 86_400_000
  const n = seg.days * 1440
  const out = new Float64Array(n)
  // Valid rows only, in time order.
  const ts: number[] = []
  const vs: number[] = []
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i] ?? NaN
    if (s.valid[i] === 1 && Number.isFinite(v)) {
      ts.push(s.timestampsMs[i] ?? NaN)
      vs.push(v)
    }
  }
  const last = (ts[ts.length - 1] ?? 0)
  if (t0 + (n - 1) * MINUTE_MS > last) throw new Error(`trace ${seg.trace} ends before day ${seg.fromDay + seg.days}`)
  let j = 0
  for (let m = 0; m < n; m++) {
    const t = t0 + m * MINUTE_MS
    while (j + 1 < ts.length && (ts[j + 1] ?? Infinity) <= t) j++
    const ta = ts[j] ?? t
    const tb = ts[j + 1] ?? ta
    const va = vs[j] ?? 0
    const vb = vs[j + 1] ?? va
    out[m] = tb > ta && t > ta ? va + ((vb - va) * (t - ta)) / (tb - ta) : va
  }
  let sum = 0
  for (const v of out) sum += v
  const mean = sum / n
  for (let m = 0; m < n; m++) out[m] = Math.max(0, (out[m] ?? 0) / mean)
  return out
}

/** The highest value of a shape over a sliding hour: what capacity is sized for. */
export function peakHour(shape: Float64Array): number {
  let best = 0
  let sum = 0
  for (let i = 0; i < shape.length; i++) {
    sum += shape[i] ?? 0
    if (i >= 60) sum -= shape[i - 60] ?? 0
    if (i >= 59) best = Math.max(best, sum / 60)
  }
  return best > 0 ? best : 1
}
