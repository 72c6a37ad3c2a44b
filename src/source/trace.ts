import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

export interface Trace {
  /** Requests per step; NaN where the trace has no data. */
  values: Float64Array
  startMs: number
  stepMs: number
}

export class TraceError extends Error {
  override name = 'TraceError'
}

/**
 * Reads a `timestamp,requests` CSV (optionally gzip-compressed) with a fixed step. Timestamps without a zone
 * are read as UTC-04:00, the zone of the bundled NASA trace.
 */
export function readTrace(file: string, defaultOffset = '-04:00'): Trace {
  let text: string
  try {
    const raw = readFileSync(file)
    text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
  } catch (err) {
    throw new TraceError(`unable to read trace ${file}: ${(err as Error).message}`)
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  const header = lines.shift()
  if (header === undefined || !/^timestamp,requests$/i.test(header.trim())) throw new TraceError(`unable to read trace ${file}: the header must be "timestamp,requests"`)
  if (lines.length < 2) throw new TraceError(`unable to read trace ${file}: it needs at least two rows`)
  const times = new Float64Array(lines.length)
  const values = new Float64Array(lines.length)
  lines.forEach((line, i) => {
    const [ts = '', v = ''] = line.split(',')
    const iso = ts.trim().replace(' ', 'T')
    const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + defaultOffset)
    if (Number.isNaN(ms)) throw new TraceError(`unable to read trace ${file}: line ${i + 2}: bad timestamp "${ts}"`)
    const n = v.trim() === '' ? NaN : Number(v)
    if (v.trim() !== '' && (!Number.isFinite(n) || n < 0)) throw new TraceError(`unable to read trace ${file}: line ${i + 2}: bad value "${v}"`)
    times[i] = ms
    values[i] = n
  })
  const startMs = times[0] ?? 0
  const stepMs = (times[1] ?? 0) - startMs
  if (stepMs <= 0) throw new TraceError(`unable to read trace ${file}: timestamps must increase`)
  for (let i = 1; i < times.length; i++) {
    if ((times[i] ?? 0) - (times[i - 1] ?? 0) !== stepMs) throw new TraceError(`unable to read trace ${file}: line ${i + 2}: the step must stay ${stepMs / 1000} s`)
  }
  return { values, startMs, stepMs }
}
