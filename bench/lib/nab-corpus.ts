/**
 * Any corpus in NAB's layout, for `bench:nab -- --data DIR`: `data/<group>/*.csv` (timestamp,value),
 * `labels/combined_windows.json` ("<group>/<file>.csv" -> [[start, end], ...]) and `config/profiles.json` (NAB's
 * cost profiles; when absent, NAB's three standard profiles, and the corpus says so). Every layout problem is
 * one line naming the file; and `writeNabResults` writes what NAB's own scorer reads.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NAB_PROFILES, type CostProfile, type IndexWindow } from './nab-scorer.js'
import { parseSeriesCsv, parseTimestamp, type Series } from '../../src/replay/trace.js'
import { windowsToIndices } from './traces.js'

export class NabLayoutError extends Error {
  override name = 'NabLayoutError'
}

const LAYOUT = 'NAB layout: data/<group>/*.csv, labels/combined_windows.json, config/profiles.json'

export interface NabCorpusFile {
  /** "<group>/<file>.csv", as the labels key it. */
  name: string
  series: Series
  windows: IndexWindow[]
}

export interface NabCorpus {
  root: string
  files: NabCorpusFile[]
  profiles: Map<string, CostProfile>
  /** What the report should say about how the corpus was read (built-in profiles, labels without a file). */
  notes: string[]
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function readJson(file: string, rel: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new NabLayoutError(`${rel}: unable to read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new NabLayoutError(`${rel}: not valid JSON (${(err as Error).message})`)
  }
}

/** "<group>/<file>.csv" for every CSV one level under data/, sorted. */
function listDataFiles(root: string): string[] {
  const dataDir = join(root, 'data')
  if (!isDir(dataDir)) throw new NabLayoutError(`${dataDir}: no such directory (${LAYOUT})`)
  const out: string[] = []
  for (const group of readdirSync(dataDir).sort()) {
    if (!isDir(join(dataDir, group))) continue
    for (const f of readdirSync(join(dataDir, group)).sort()) if (f.endsWith('.csv')) out.push(`${group}/${f}`)
  }
  if (out.length === 0) throw new NabLayoutError(`${dataDir}: no data/<group>/*.csv files (${LAYOUT})`)
  return out
}

type TimeWindows = Map<string, Array<{ startMs: number; endMs: number }>>

function readWindows(root: string): TimeWindows {
  const rel = 'labels/combined_windows.json'
  const file = join(root, rel)
  if (!existsSync(file)) throw new NabLayoutError(`${join(root, rel)}: missing (${LAYOUT})`)
  const raw = readJson(file, rel)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new NabLayoutError(`${rel}: expected an object of "<group>/<file>.csv": [[start, end], ...]`)
  const out: TimeWindows = new Map()
  for (const [name, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new NabLayoutError(`${rel}: ${name}: expected a list of [start, end] pairs`)
    out.set(
      name,
      list.map((pair: unknown, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new NabLayoutError(`${rel}: ${name}: window ${i + 1}: expected [start, end] timestamps`)
        const startMs = parseTimestamp(pair[0], 'Z')
        const endMs = parseTimestamp(pair[1], 'Z')
        if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new NabLayoutError(`${rel}: ${name}: window ${i + 1}: unparsable timestamp`)
        if (endMs < startMs) throw new NabLayoutError(`${rel}: ${name}: window ${i + 1}: ends before it starts`)
        return { startMs, endMs }
      }),
    )
  }
  return out
}

function readProfiles(root: string, notes: string[]): Map<string, CostProfile> {
  const rel = 'config/profiles.json'
  const file = join(root, rel)
  if (!existsSync(file)) {
    notes.push(`${rel} missing: NAB's standard profiles are used (standard, reward_low_FP_rate, reward_low_FN_rate)`)
    return new Map(Object.entries(NAB_PROFILES))
  }
  const raw = readJson(file, rel)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new NabLayoutError(`${rel}: expected an object of profiles`)
  const out = new Map<string, CostProfile>()
  for (const [name, p] of Object.entries(raw as Record<string, unknown>)) {
    const m = (p as { CostMatrix?: Partial<Record<keyof CostProfile, unknown>> } | null)?.CostMatrix
    if (typeof m?.tpWeight !== 'number' || typeof m.fpWeight !== 'number' || typeof m.fnWeight !== 'number') throw new NabLayoutError(`${rel}: ${name}: CostMatrix needs numeric tpWeight, fpWeight and fnWeight`)
    out.set(name, { tpWeight: m.tpWeight, fpWeight: m.fpWeight, fnWeight: m.fnWeight })
  }
  if (out.size === 0) throw new NabLayoutError(`${rel}: no profiles`)
  return out
}

/** Reads and checks a whole corpus; throws NabLayoutError with one line on the first problem. */
export function loadNabCorpus(root: string): NabCorpus {
  if (!isDir(root)) throw new NabLayoutError(`${root}: no such directory (${LAYOUT})`)
  const names = listDataFiles(root)
  const windows = readWindows(root)
  const notes: string[] = []
  const profiles = readProfiles(root, notes)
  const files = names.map((name): NabCorpusFile => {
    const w = windows.get(name)
    if (w === undefined) throw new NabLayoutError(`labels/combined_windows.json: no entry for data/${name} (a file without anomalies needs an empty list)`)
    let series: Series
    try {
      series = parseSeriesCsv(readFileSync(join(root, 'data', name), 'utf8'), `data/${name}`)
    } catch (err) {
      throw new NabLayoutError((err as Error).message)
    }
    // Repeated timestamps are left alone: NAB's own files have them (a clock change in realAWSCloudwatch), and
    // NAB scores by row.
    if (series.values.length < 2) throw new NabLayoutError(`data/${name}: fewer than two rows`)
    try {
      return { name, series, windows: windowsToIndices(series.timestampsMs, w) }
    } catch (err) {
      throw new NabLayoutError(`labels/combined_windows.json: ${name}: ${(err as Error).message}`)
    }
  })
  const extra = [...windows.keys()].filter((k) => !names.includes(k))
  if (extra.length > 0) notes.push(`${extra.length} labelled file(s) not under data/ are left out (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', ...' : ''})`)
  return { root, files, profiles, notes }
}

/** NAB's timestamp text: "YYYY-MM-DD HH:MM:SS", UTC. */
function nabTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * Writes `<dir>/<detector>/<group>/<detector>_<file>.csv` per file, columns timestamp,value,anomaly_score,label
 * (label 1 inside a labelled window), the layout NAB's optimise and score steps read. Returns the paths written.
 */
export function writeNabResults(dir: string, detector: string, files: ReadonlyArray<{ name: string; series: Series; windows: readonly IndexWindow[]; scores: ArrayLike<number> }>): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(detector)) throw new NabLayoutError(`detector name "${detector}": letters, digits and dashes only (NAB strips "<detector>_" from file names)`)
  if (existsSync(dir) && !isDir(dir)) throw new NabLayoutError(`${dir}: exists and is not a directory`)
  const written: string[] = []
  for (const f of files) {
    const [group, file] = f.name.split('/')
    if (group === undefined || file === undefined) throw new NabLayoutError(`${f.name}: expected "<group>/<file>.csv"`)
    const n = f.series.values.length
    if (f.scores.length !== n) throw new NabLayoutError(`${f.name}: ${f.scores.length} scores for ${n} rows`)
    const label = new Uint8Array(n)
    for (const w of f.windows) label.fill(1, w.leftIndex, w.rightIndex + 1)
    const lines = ['timestamp,value,anomaly_score,label']
    for (let i = 0; i < n; i++) {
      const v = f.series.values[i] ?? NaN
      const s = f.scores[i] ?? NaN
      lines.push(`${nabTimestamp(f.series.timestampsMs[i] ?? NaN)},${Number.isFinite(v) ? String(v) : ''},${Number.isFinite(s) ? String(s) : '0'},${label[i] ?? 0}`)
    }
    const outDir = join(dir, detector, group)
    mkdirSync(outDir, { recursive: true })
    const path = join(outDir, `${detector}_${file}`)
    writeFileSync(path, lines.join('\n') + '\n')
    written.push(path)
  }
  return written
}
