/**
 * The load shape of the demo: the real NASA HTTP 1995 trace (the three weeks shipped in assets/traces, valid
 * minutes only), smoothed, normalised to a peak of 1 and played compressed in time.
 *
 * The trace position is a function of the wall clock alone (Unix epoch times `speed`, modulo the trace length),
 * so the history backfilled into Prometheus and the live load generator draw the same curve: the live load
 * continues exactly where the backfilled history ends, without either side knowing when the other started.
 */
import { bundledTrace } from '../../src/replay/replay-history.js'
import { readTrace } from '../../src/replay/trace.js'

export interface Shape {
  /** Normalised load per trace minute, in [0, 1], peak exactly 1. */
  minutes: Float64Array
  /** Trace timestamp (ms) of each entry, for progress output only. */
  timestampsMs: Float64Array
}

/** Centred moving average width in trace minutes: per-minute counts are noisy, the demo is about the shape. */
const SMOOTH_MINUTES = 15

export function loadShape(): Shape {
  const trace = readTrace(bundledTrace())
  const values: number[] = []
  const times: number[] = []
  for (let i = 0; i < trace.values.length; i++) {
    const v = trace.values[i] ?? NaN
    if (Number.isFinite(v)) {
      values.push(v)
      times.push(trace.startMs + i * trace.stepMs)
    }
  }
  if (values.length < SMOOTH_MINUTES) throw new Error(`the NASA trace holds only ${values.length} valid minutes`)
  const n = values.length
  const smooth = new Float64Array(n)
  const half = Math.floor(SMOOTH_MINUTES / 2)
  let peak = 0
  for (let i = 0; i < n; i++) {
    let sum = 0
    let count = 0
    // Wraps around so the end of the trace blends into its start when playback loops.
    for (let k = -half; k <= half; k++) {
      sum += values[(i + k + n) % n] ?? 0
      count++
    }
    smooth[i] = sum / count
    peak = Math.max(peak, smooth[i] ?? 0)
  }
  if (peak <= 0) throw new Error('the NASA trace holds no load')
  for (let i = 0; i < n; i++) smooth[i] = (smooth[i] ?? 0) / peak
  return { minutes: smooth, timestampsMs: Float64Array.from(times) }
}

/** Trace position (fractional minute index) at a wall-clock time. */
export function tracePosition(shape: Shape, wallMs: number, speed: number): number {
  const n = shape.minutes.length
  const pos = (wallMs * speed) / 60_000
  return ((pos % n) + n) % n
}

/** Normalised load in [0, 1] at a wall-clock time, linearly interpolated between trace minutes. */
export function shapeAt(shape: Shape, wallMs: number, speed: number): number {
  const n = shape.minutes.length
  const pos = tracePosition(shape, wallMs, speed)
  const i = Math.floor(pos)
  const f = pos - i
  return (shape.minutes[i] ?? 0) * (1 - f) + (shape.minutes[(i + 1) % n] ?? 0) * f
}

/** Trace timestamp (ms) shown for a wall-clock time. */
export function traceTimeAt(shape: Shape, wallMs: number, speed: number): number {
  return shape.timestampsMs[Math.floor(tracePosition(shape, wallMs, speed))] ?? NaN
}

/**
 * Requests a generator at `maxRate` (req/s at the trace's peak) should send in [fromMs, toMs]: the integral of
 * the rate, by the trapezoid rule on a grid fine enough that the interpolated curve is followed closely.
 */
export function plannedRequests(shape: Shape, fromMs: number, toMs: number, maxRate: number, speed: number): number {
  if (toMs <= fromMs) return 0
  // One trace minute lasts 60 000 / speed wall ms; a quarter of that keeps the error far below one request.
  const dt = Math.max(1, Math.min(1000, 15_000 / speed))
  let total = 0
  for (let t = fromMs; t < toMs; t += dt) {
    const u = Math.min(toMs, t + dt)
    total += ((shapeAt(shape, t, speed) + shapeAt(shape, u, speed)) / 2) * maxRate * ((u - t) / 1000)
  }
  return total
}
