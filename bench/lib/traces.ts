/**
 * Loaders for the read-only evaluation data: the NASA 1995 HTTP trace and the NAB subset (series, windows,
 * profiles), over the product's one CSV reader (src/replay/trace.ts). Rows are kept as they are in the files
 * (row index = step), as the model split and NAB scoring both count rows; the step is the most common spacing.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { CostProfile, IndexWindow } from './nab-scorer.js'
import { NASA_ZONE, parseSeriesCsv, parseTimestamp, type Series } from '../../src/replay/trace.js'
import { packageRoot } from '../../src/util/paths.js'

export { NASA_ZONE, parseSeriesCsv, type Series }

class DataError extends Error {
  override name = 'DataError'
}

/** The repo root (kept under this name for the data modules; one implementation in util/paths). */
export const repoRoot = packageRoot

/**
 * `<repo>/../shared/data`, where the full traces and the NAB subset live (README, "Data"): the tests, benchmarks
 * and training read them; the product itself needs only the excerpt shipped under assets/.
 */
export function sharedDataDir(dir = join(repoRoot(), '..', 'shared', 'data')): string {
  if (!existsSync(dir)) throw new DataError(`unable to find the trace data: ${dir} does not exist (see README.md, "Data")`)
  return dir
}

export const NASA_FILE = 'traces/nasa_http_1995/nasa_http_requests_per_minute.csv'
/** Hurricane Erin shutdown: the trace holds zeros here that are not real load (inclusive, local time). */
const NASA_OUTAGE = { from: '1995-08-01 14:53:00', to: '1995-08-03 04:35:00' } as const

/** Marks rows in [fromMs, toMs] invalid. */
function maskRange(series: Series, fromMs: number, toMs: number): void {
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

interface TimeWindow {
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
