/**
 * A user's own trace for `bench:forecast -- --trace` and `bench:autoscale -- --trace`: `timestamp,value` rows at
 * one regular step (per minute, every 5 minutes, ...), the timestamp ISO 8601 (no zone: UTC) or whole epoch
 * seconds, an optional header line. Strict, because a silently misread trace gives a benchmark that means nothing:
 * every problem is one line naming the row. The step is the trace's most common spacing; every other spacing must
 * be a whole number of steps (missing rows, which become gaps). Nothing is resampled: the benches run at that step.
 */
import { readFileSync, statSync } from 'node:fs'
import { parseTimestamp, type Series } from '../../src/replay/trace.js'

export class TraceFileError extends Error {
  override name = 'TraceFileError'
}

/** The per-minute step, the usual one. */
export const TRACE_STEP_SECONDS = 60
/**
 * Steps a trace may have: whole minutes up to 10 (a policy's spec.stepSeconds reads Prometheus at most every 600 s)
 * that divide a day, so a day and a week ago are whole rows for the seasonal inputs and baselines.
 */
export const TRACE_STEPS_SECONDS: readonly number[] = [60, 120, 180, 240, 300, 360, 480, 540, 600]
const DAY_SECONDS = 86_400
/** Two days: the seasonal baselines need a day to start, and the last 20 % must hold some hours. */
export const minTraceRows = (stepSeconds: number): number => (2 * DAY_SECONDS) / stepSeconds
/** Two days of minutes. */
export const MIN_TRACE_ROWS = minTraceRows(TRACE_STEP_SECONDS)
/** A year, gaps included: beyond this a typo in a timestamp is likelier than a real trace. */
const MAX_TRACE_MINUTES = 366 * 1440
const MAX_FILE_BYTES = 512 * 1024 * 1024

/** Reads and parses a trace file; `name` is what errors and reports call it. */
export function readUserTrace(file: string): Series {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new TraceFileError(`${file}: not a regular file`)
    size = st.size
  } catch (err) {
    if (err instanceof TraceFileError) throw err
    throw new TraceFileError(`${file}: no such file or not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  if (size > MAX_FILE_BYTES) throw new TraceFileError(`${file}: ${size} bytes, larger than the ${MAX_FILE_BYTES / 1024 / 1024} MiB accepted`)
  return parseUserTrace(readFileSync(file, 'utf8'), file)
}

/** Parses the text of a trace; missing rows inside it become invalid (NaN) rows. */
export function parseUserTrace(text: string, name: string): Series {
  const fail = (why: string): never => {
    throw new TraceFileError(`${name}: ${why}`)
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const rows: Array<{ line: number; ms: number; value: number }> = []
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim()
    if (raw === '') continue
    const fields = raw.split(',')
    // A header is a first line whose first field has no digit ("timestamp,value", "time,requests").
    if (rows.length === 0 && i === firstNonEmpty(lines) && !/\d/.test(fields[0] ?? '')) continue
    const row = i + 1
    if (fields.length !== 2) fail(`row ${row}: expected 2 columns (timestamp,value), found ${fields.length}`)
    const tsText = (fields[0] ?? '').trim()
    const ms = /^\d+$/.test(tsText) && !/^\d{9,11}$/.test(tsText) ? NaN : parseTimestamp(tsText, 'Z')
    if (!Number.isFinite(ms)) fail(`row ${row}: unparsable timestamp "${clip(tsText)}" (ISO 8601 or whole epoch seconds)`)
    const valueText = (fields[1] ?? '').trim()
    const value = valueText === '' ? NaN : Number(valueText)
    if (valueText !== '' && !Number.isFinite(value)) fail(`row ${row}: unparsable value "${clip(valueText)}"`)
    if (value < 0) fail(`row ${row}: negative value ${valueText}`)
    const prev = rows[rows.length - 1]
    if (prev !== undefined && ms <= prev.ms) fail(`row ${row}: timestamp ${clip(tsText)} is not after the previous row's (timestamps must increase)`)
    rows.push({ line: row, ms, value })
  }
  if (rows.length === 0) fail('empty: no data rows')
  const first = rows[0]?.ms ?? 0
  const spanMinutes = Math.floor(((rows[rows.length - 1]?.ms ?? 0) - first) / 60_000) + 1
  if (spanMinutes > MAX_TRACE_MINUTES) fail(`spans ${spanMinutes} minutes, more than the ${MAX_TRACE_MINUTES} (a year) accepted`)
  const stepSeconds = regularStep(rows, fail)
  const stepMs = stepSeconds * 1000
  const unit = stepSeconds === TRACE_STEP_SECONDS ? 'minutes' : `rows of ${stepSeconds} s`
  const minRows = minTraceRows(stepSeconds)
  const n = Math.round(((rows[rows.length - 1]?.ms ?? 0) - first) / stepMs) + 1
  if (n < minRows) fail(`too short: ${n} ${unit}; at least ${minRows} (two days) are needed`)
  const timestampsMs = new Float64Array(n)
  const values = new Float64Array(n).fill(NaN)
  const valid = new Uint8Array(n)
  for (let i = 0; i < n; i++) timestampsMs[i] = first + i * stepMs
  for (const r of rows) {
    const k = Math.round((r.ms - first) / stepMs)
    if (Number.isFinite(r.value)) {
      values[k] = r.value
      valid[k] = 1
    }
  }
  const validCount = valid.reduce((a, b) => a + b, 0)
  if (validCount < minRows) fail(`too short: ${validCount} ${unit} with a value; at least ${minRows} (two days) are needed`)
  return { name, timestampsMs, values, valid, stepSeconds }
}

/**
 * The trace's step: its most common spacing (the shortest of equally common ones), one of TRACE_STEPS_SECONDS;
 * every spacing a whole number of steps. Anything else is irregular and named by its first row.
 */
function regularStep(rows: ReadonlyArray<{ line: number; ms: number }>, fail: (why: string) => never): number {
  if (rows.length < 2) return TRACE_STEP_SECONDS
  const counts = new Map<number, number>()
  for (let i = 1; i < rows.length; i++) {
    const d = (rows[i]?.ms ?? 0) - (rows[i - 1]?.ms ?? 0)
    counts.set(d, (counts.get(d) ?? 0) + 1)
  }
  let stepMs = 0
  let best = 0
  for (const [d, c] of counts) if (c > best || (c === best && d < stepMs)) [stepMs, best] = [d, c]
  const at = (want: (d: number) => boolean): number => {
    for (let i = 1; i < rows.length; i++) if (want((rows[i]?.ms ?? 0) - (rows[i - 1]?.ms ?? 0))) return rows[i]?.line ?? 0
    return 0
  }
  if (!TRACE_STEPS_SECONDS.includes(stepMs / 1000)) {
    fail(`row ${at((d) => d === stepMs)}: ${stepMs / 1000} s after the previous row, the trace's most common spacing; a trace's step must be one of ${TRACE_STEPS_SECONDS.join(', ')} s (whole minutes up to 10 that divide a day)`)
  }
  const irregular = at((d) => d % stepMs !== 0)
  if (irregular !== 0) {
    const i = rows.findIndex((r) => r.line === irregular)
    const d = (rows[i]?.ms ?? 0) - (rows[i - 1]?.ms ?? 0)
    const every = stepMs === TRACE_STEP_SECONDS * 1000 ? 'per minute' : `every ${stepMs / 60_000} minutes`
    fail(`row ${irregular}: ${d / 1000} s after the previous row; the trace must be ${every} (steps of ${stepMs / 1000} s, its most common spacing; gaps a whole number of ${stepMs === TRACE_STEP_SECONDS * 1000 ? 'minutes' : 'steps'})`)
  }
  return stepMs / 1000
}

function firstNonEmpty(lines: readonly string[]): number {
  return lines.findIndex((l) => l.trim() !== '')
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}
