/**
 * Loaders for the read-only evaluation data: the NASA 1995 HTTP trace and the NAB subset (series, windows,
 * profiles). Rows are kept as they are in the files (row index = step), as the model split and NAB scoring
 * both count rows; the step is the most common spacing.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { CostProfile, IndexWindow } from '../nab/scorer.js'
import { packageRoot } from '../util/paths.js'

export interface Series {
  /** Path relative to the data dir, or the file name for ad-hoc files. */
  name: string
  timestampsMs: Float64Array
  /** NaN wherever `valid` is 0. */
  values: Float64Array
  /** 1 where the row is a real observation, 0 for gaps and masked outages. */
  valid: Uint8Array
  stepSeconds: number
}

export class DataError extends Error {
  override name = 'DataError'
}

/** The repo root (kept under this name for the data modules; one implementation in util/paths). */
export const repoRoot = packageRoot

/**
 * `<repo>/../shared/data`, where the full traces and the NAB subset live (README, "Data"): the tests, benchmarks
 * and training read them; the product itself needs only the excerpt shipped under assets/.
 */
export function sharedDataDir(): string {
  const dir = join(repoRoot(), '..', 'shared', 'data')
  if (!existsSync(dir)) throw new DataError(`unable to find the trace data: ${dir} does not exist (see README.md, "Data")`)
  return dir
}

export const NASA_FILE = 'traces/nasa_http_1995/nasa_http_requests_per_minute.csv'
/** The NASA trace's timestamps are local server time. */
export const NASA_ZONE = '-04:00'
/** Hurricane Erin shutdown: the trace holds zeros here that are not real load (inclusive, local time). */
export const NASA_OUTAGE = { from: '1995-08-01 14:53:00', to: '1995-08-03 04:35:00' } as const

export function parseTimestamp(text: string, zone: string): number {
  const iso = text.trim().replace(' ', 'T')
  return Date.parse(/[zZ]$|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + zone)
}

/**
 * Parses a two-column `timestamp,<value>` CSV. Empty or non-numeric values become invalid rows; a bad timestamp
 * is an error because row alignment would silently break.
 */
export function parseSeriesCsv(text: string, name: string, zone = 'Z'): Series {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = lines.shift()
  if (header === undefined || !/^timestamp,/i.test(header.trim())) throw new DataError(`${name}: the header must start with "timestamp,"`)
  const n = lines.length
  const timestampsMs = new Float64Array(n)
  const values = new Float64Array(n)
  const valid = new Uint8Array(n)
  lines.forEach((line, i) => {
    const comma = line.indexOf(',')
    const ts = comma < 0 ? line : line.slice(0, comma)
    const raw = comma < 0 ? '' : line.slice(comma + 1).trim()
    const ms = parseTimestamp(ts, zone)
    if (Number.isNaN(ms)) throw new DataError(`${name}: line ${i + 2}: bad timestamp "${ts}"`)
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

/** Marks rows in [fromMs, toMs] invalid. */
export function maskRange(series: Series, fromMs: number, toMs: number): void {
  for (let i = 0; i < series.values.length; i++) {
    const ts = series.timestampsMs[i] ?? NaN
    if (ts >= fromMs && ts <= toMs) {
      series.valid[i] = 0
      series.values[i] = NaN
    }
  }
}

/** The NASA requests-per-minute trace, with the empty-row gap and the Hurricane Erin outage masked. */
export function loadNasa(file = join(sharedDataDir(), NASA_FILE)): Series {
  const s = parseSeriesCsv(readFileSync(file, 'utf8'), NASA_FILE, NASA_ZONE)
  maskRange(s, parseTimestamp(NASA_OUTAGE.from, NASA_ZONE), parseTimestamp(NASA_OUTAGE.to, NASA_ZONE))
  return s
}

/** Any series by its path relative to the shared data dir; NAB timestamps carry no zone and are read as UTC. */
export function loadSeries(relPath: string, dataDir = sharedDataDir()): Series {
  if (relPath === NASA_FILE) return loadNasa(join(dataDir, NASA_FILE))
  return parseSeriesCsv(readFileSync(join(dataDir, relPath), 'utf8'), relPath)
}

/** NAB series names as keyed in the labels: "<group>/<name>.csv", sorted. */
export function listNabFiles(dataDir = sharedDataDir()): string[] {
  const root = join(dataDir, 'nab', 'data')
  const out: string[] = []
  for (const group of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, group)).sort()) if (f.endsWith('.csv')) out.push(`${group}/${f}`)
  }
  return out
}

export function loadNabSeries(nabName: string, dataDir = sharedDataDir()): Series {
  return loadSeries(join('nab', 'data', nabName), dataDir)
}

export interface TimeWindow {
  startMs: number
  endMs: number
}

/** labels/combined_windows.json: "<group>/<name>.csv" -> windows. */
export function loadNabWindows(dataDir = sharedDataDir()): Map<string, TimeWindow[]> {
  const raw = JSON.parse(readFileSync(join(dataDir, 'nab', 'labels', 'combined_windows.json'), 'utf8')) as unknown
  if (typeof raw !== 'object' || raw === null) throw new DataError('combined_windows.json: expected an object')
  const out = new Map<string, TimeWindow[]>()
  for (const [name, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new DataError(`combined_windows.json: ${name}: expected a list`)
    out.set(
      name,
      list.map((pair: unknown) => {
        if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new DataError(`combined_windows.json: ${name}: bad window`)
        return { startMs: parseTimestamp(pair[0], 'Z'), endMs: parseTimestamp(pair[1], 'Z') }
      }),
    )
  }
  return out
}

/** Row indices of each window: first row at or after its start, last row at or before its end. */
export function windowsToIndices(timestampsMs: Float64Array, windows: readonly TimeWindow[]): IndexWindow[] {
  return windows.map((w) => {
    let leftIndex = timestampsMs.findIndex((t) => t >= w.startMs)
    let rightIndex = -1
    for (let i = timestampsMs.length - 1; i >= 0; i--) {
      if ((timestampsMs[i] ?? Infinity) <= w.endMs) {
        rightIndex = i
        break
      }
    }
    if (leftIndex < 0) leftIndex = timestampsMs.length
    if (rightIndex < leftIndex) throw new DataError(`window ${new Date(w.startMs).toISOString()} holds no row`)
    return { leftIndex, rightIndex }
  })
}

/** config/profiles.json: profile name -> cost weights. */
export function loadNabProfiles(dataDir = sharedDataDir()): Map<string, CostProfile> {
  const raw = JSON.parse(readFileSync(join(dataDir, 'nab', 'config', 'profiles.json'), 'utf8')) as Record<string, { CostMatrix?: Partial<CostProfile> }>
  const out = new Map<string, CostProfile>()
  for (const [name, p] of Object.entries(raw)) {
    const m = p.CostMatrix
    if (typeof m?.tpWeight !== 'number' || typeof m.fpWeight !== 'number' || typeof m.fnWeight !== 'number') throw new DataError(`profiles.json: ${name}: incomplete cost matrix`)
    out.set(name, { tpWeight: m.tpWeight, fpWeight: m.fpWeight, fnWeight: m.fnWeight })
  }
  return out
}
