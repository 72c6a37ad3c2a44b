/**
 * A user's own per-minute trace for `bench:forecast -- --trace` and `bench:autoscale -- --trace`: `timestamp,value`
 * rows, the timestamp ISO 8601 (no zone: UTC) or whole epoch seconds, an optional header line. Strict, because a
 * silently misread trace gives a benchmark that means nothing: every problem is one line naming the row.
 */
import { readFileSync, statSync } from 'node:fs'
import { parseTimestamp, type Series } from '../../src/replay/trace.js'

export class TraceFileError extends Error {
  override name = 'TraceFileError'
}

export const TRACE_STEP_SECONDS = 60
/** Two days: the seasonal baselines need a day to start, and the last 20 % must hold some hours. */
export const MIN_TRACE_ROWS = 2 * 1440
/** A year of minutes, gaps included: beyond this a typo in a timestamp is likelier than a real trace. */
const MAX_TRACE_ROWS = 366 * 1440
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

/** Parses the text of a trace; missing minutes inside it become invalid (NaN) rows. */
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
    if (prev !== undefined) {
      const d = ms - prev.ms
      if (d <= 0) fail(`row ${row}: timestamp ${clip(tsText)} is not after the previous row's (timestamps must increase)`)
      if (d % (TRACE_STEP_SECONDS * 1000) !== 0) fail(`row ${row}: ${d / 1000} s after the previous row; the trace must be per minute (steps of ${TRACE_STEP_SECONDS} s, gaps a whole number of minutes)`)
    }
    rows.push({ line: row, ms, value })
  }
  if (rows.length === 0) fail('empty: no data rows')
  const first = rows[0]?.ms ?? 0
  const n = Math.round(((rows[rows.length - 1]?.ms ?? 0) - first) / (TRACE_STEP_SECONDS * 1000)) + 1
  if (n > MAX_TRACE_ROWS) fail(`spans ${n} minutes, more than the ${MAX_TRACE_ROWS} (a year) accepted`)
  if (n < MIN_TRACE_ROWS) fail(`too short: ${n} minutes; at least ${MIN_TRACE_ROWS} (two days) are needed`)
  const timestampsMs = new Float64Array(n)
  const values = new Float64Array(n).fill(NaN)
  const valid = new Uint8Array(n)
  for (let i = 0; i < n; i++) timestampsMs[i] = first + i * TRACE_STEP_SECONDS * 1000
  for (const r of rows) {
    const k = Math.round((r.ms - first) / (TRACE_STEP_SECONDS * 1000))
    if (Number.isFinite(r.value)) {
      values[k] = r.value
      valid[k] = 1
    }
  }
  const validCount = valid.reduce((a, b) => a + b, 0)
  if (validCount < MIN_TRACE_ROWS) fail(`too short: ${validCount} minutes with a value; at least ${MIN_TRACE_ROWS} (two days) are needed`)
  return { name, timestampsMs, values, valid, stepSeconds: TRACE_STEP_SECONDS }
}

function firstNonEmpty(lines: readonly string[]): number {
  return lines.findIndex((l) => l.trim() !== '')
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}
