import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/**
 * The one reader of `timestamp,<value>` CSV traces, used by the replay source, the benchmarks and the tools.
 * One timestamp rule everywhere: ISO 8601 (a space may stand for the `T`), or whole epoch seconds; a timestamp
 * without a zone is read in the zone the caller names (the bundled NASA trace is local server time, UTC-04:00;
 * NAB's files are UTC).
 */

export interface Series {
  /** Path relative to the data dir, or the file name for ad-hoc files. */
  name: string
  timestampsMs: Float64Array
  /** NaN wherever `valid` is 0. */
  values: Float64Array
  /** 1 where the row is a real observation, 0 for gaps and masked outages. */
  valid: Uint8Array
  /** The most common spacing of the rows. */
  stepSeconds: number
}

/** A trace with a fixed step, as the replay source plays it. */
export interface Trace {
  /** Requests per step; NaN where the trace has no data. */
  values: Float64Array
  startMs: number
  stepMs: number
}

class TraceError extends Error {
  override name = 'TraceError'
}

/** The zone of the bundled NASA trace's timestamps. */
export const NASA_ZONE = '-04:00'

/** Milliseconds since the epoch, NaN when the text is neither ISO 8601 nor whole epoch seconds. */
export function parseTimestamp(text: string, zone: string): number {
  const trimmed = text.trim()
  if (/^\d{9,11}$/.test(trimmed)) return Number(trimmed) * 1000
  const iso = trimmed.replace(' ', 'T')
  return Date.parse(/[zZ]$|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + zone)
}

/**
 * Parses a two-column `timestamp,<value>` CSV. Empty or non-numeric values become invalid rows; a bad timestamp
 * is an error because row alignment would silently break.
 */
export function parseSeriesCsv(text: string, name: string, zone = 'Z'): Series {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = lines.shift()
  if (header === undefined || !/^timestamp,/i.test(header.trim())) throw new TraceError(`${name}: the header must start with "timestamp,"`)
  const n = lines.length
  const timestampsMs = new Float64Array(n)
  const values = new Float64Array(n)
  const valid = new Uint8Array(n)
  lines.forEach((line, i) => {
    const comma = line.indexOf(',')
    const ts = comma < 0 ? line : line.slice(0, comma)
    const raw = comma < 0 ? '' : line.slice(comma + 1).trim()
    const ms = parseTimestamp(ts, zone)
    if (Number.isNaN(ms)) throw new TraceError(`${name}: line ${i + 2}: bad timestamp "${ts}"`)
    timestampsMs[i] = ms
    const v = raw === '' ? NaN : Number(raw)
    values[i] = Number.isFinite(v) ? v : NaN
    valid[i] = Number.isFinite(v) ? 1 : 0
  })
  return { name, timestampsMs, values, valid, stepSeconds: commonStepSeconds(timestampsMs) }
}

function commonStepSeconds(timestampsMs: Float64Array): number {
  const counts = new Map<number, number>()
  for (let i = 1; i < timestampsMs.length; i++) {
    const d = (timestampsMs[i] ?? 0) - (timestampsMs[i - 1] ?? 0)
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1)
  }
  let best = 0
  let bestCount = 0
  for (const [d, c] of counts) if (c > bestCount) [best, bestCount] = [d, c]
  return best / 1000
}

/** A file's text; `.gz` files are decompressed. */
function readTraceText(file: string): string {
  try {
    const raw = readFileSync(file)
    return (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
  } catch (err) {
    throw new TraceError(`unable to read trace ${file}: ${(err as Error).message}`)
  }
}

/**
 * Reads a `timestamp,requests` CSV (optionally gzip-compressed) with a fixed step, as the replay source plays
 * it: the step may not change and a value, where present, is a non-negative number.
 */
export function readTrace(file: string, zone = NASA_ZONE): Trace {
  const text = readTraceText(file)
  const fail = (why: string): never => { throw new TraceError(`unable to read trace ${file}: ${why}`) }
  const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim()
  if (!/^timestamp,requests$/i.test(header)) fail('the header must be "timestamp,requests"')
  let s: Series
  try {
    s = parseSeriesCsv(text, file, zone)
  } catch (err) {
    return fail((err as Error).message.slice(file.length + 2))
  }
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(1)
  if (rows.length < 2) fail('it needs at least two rows')
  rows.forEach((row, i) => {
    const raw = row.slice(row.indexOf(',') + 1).trim()
    if (raw !== '' && !((s.values[i] ?? -1) >= 0)) fail(`line ${i + 2}: bad value "${raw}"`)
  })
  const startMs = s.timestampsMs[0] ?? 0
  const stepMs = (s.timestampsMs[1] ?? 0) - startMs
  if (stepMs <= 0) fail('timestamps must increase')
  for (let i = 1; i < s.timestampsMs.length; i++) {
    if ((s.timestampsMs[i] ?? 0) - (s.timestampsMs[i - 1] ?? 0) !== stepMs) fail(`line ${i + 2}: the step must stay ${stepMs / 1000} s`)
  }
  return { values: s.values, startMs, stepMs }
}
