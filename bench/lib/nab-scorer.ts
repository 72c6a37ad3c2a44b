/**
 * NAB (Numenta Anomaly Benchmark) scoring, following the rules in <shared data>/nab/README.md: probationary
 * prefix, windows scored by a scaled sigmoid of the first detection's position, false positives costed by their
 * distance past the preceding window, missed windows costed -fnWeight, one threshold per profile chosen to
 * maximise the total over all files, and a normalised score 100 * (raw - null) / (perfect - null).
 */

export interface CostProfile {
  tpWeight: number
  fpWeight: number
  fnWeight: number
}

export const NAB_PROFILES: Readonly<Record<'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate', CostProfile>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
}

/** One labelled window as inclusive row indices. */
export interface IndexWindow {
  leftIndex: number
  rightIndex: number
}

export interface DetectorFile {
  name: string
  /** Detector output per row, in [0,1], in time order. */
  scores: ArrayLike<number>
  /** Non-overlapping windows, any order. */
  windows: readonly IndexWindow[]
}

const PROBATION_FRACTION = 0.15
const PROBATION_MAX_ROWS = 750

/** 2*sigmoid(-5y) - 1, with NAB's flat -1 at y >= 3 (far behind a window). */
export function scaledSigmoid(y: number): number {
  if (y >= 3) return -1
  return 2 / (1 + Math.exp(5 * y)) - 1
}

export function probationaryRows(rowCount: number): number {
  return Math.min(Math.floor(PROBATION_FRACTION * rowCount), PROBATION_MAX_ROWS)
}

/** Row outside every window (a detection there is a false positive). */
const OUTSIDE = -1
/** Row in the probationary prefix: never scored. */
const PROBATION = -2

interface SweptFile {
  /** Per row: a corpus-wide window id, OUTSIDE or PROBATION. */
  windowOf: Int32Array
  /** Per row: what a detection there earns (TP, > 0 inside a window) or costs (FP, < 0 outside), already weighted. */
  sweepScore: Float64Array
}

function sortedWindows(file: DetectorFile, rowCount: number): IndexWindow[] {
  const ws = [...file.windows].sort((a, b) => a.leftIndex - b.leftIndex)
  let prevRight = -1
  for (const w of ws) {
    if (!(w.leftIndex <= w.rightIndex) || w.leftIndex <= prevRight || w.leftIndex < 0 || w.rightIndex >= rowCount) {
      throw new RangeError(`${file.name}: windows must be in range, non-empty and non-overlapping`)
    }
    prevRight = w.rightIndex
  }
  return ws
}

/** The threshold sweep groups rows by equal score, so a NaN (never equal to itself) must not get that far. */
function checkScores(file: DetectorFile): void {
  for (let i = 0; i < file.scores.length; i++) {
    const v = file.scores[i]
    if (!(v !== undefined && v >= 0 && v <= 1)) throw new RangeError(`${file.name}: score at row ${i} is ${String(v)}, not in [0,1]`)
  }
}

/** Per-row sweep scores for one file; `firstWindowId` numbers its windows corpus-wide. */
function sweepFile(file: DetectorFile, profile: CostProfile, firstWindowId: number): SweptFile {
  checkScores(file)
  const n = file.scores.length
  const windows = sortedWindows(file, n)
  const probation = probationaryRows(n)
  const maxTp = scaledSigmoid(-1)
  const windowOf = new Int32Array(n).fill(OUTSIDE)
  const sweepScore = new Float64Array(n)
  let next = 0
  let prev: IndexWindow | undefined
  for (let i = 0; i < n; i++) {
    const cur = windows[next]
    if (cur !== undefined && i >= cur.leftIndex) {
      const width = cur.rightIndex - cur.leftIndex + 1
      // NAB's position: -1 at the left edge, approaching 0 at the right edge.
      const y = -(cur.rightIndex - i + 1) / width
      sweepScore[i] = (profile.tpWeight * scaledSigmoid(y)) / maxTp
      windowOf[i] = firstWindowId + next
      if (i === cur.rightIndex) {
        prev = cur
        next++
      }
    } else {
      let y = 3
      if (prev !== undefined) {
        const prevWidth = prev.rightIndex - prev.leftIndex + 1
        // A one-row window has no width to scale by; NAB would divide by zero, treat as far behind.
        y = prevWidth > 1 ? (i - prev.rightIndex) / (prevWidth - 1) : 3
      }
      sweepScore[i] = profile.fpWeight * scaledSigmoid(y)
    }
    if (i < probation) windowOf[i] = PROBATION
  }
  return { windowOf, sweepScore }
}

interface FileScore {
  name: string
  raw: number
  truePositives: number
  falsePositives: number
  falseNegatives: number
}

interface CorpusScore {
  /** Rows with score >= threshold are detections; above 1 means "detect nothing". */
  threshold: number
  raw: number
  null: number
  perfect: number
  normalised: number
  files: FileScore[]
}

interface Corpus {
  swept: SweptFile[]
  /** Windows with at least one scorable row. */
  scorableWindows: Set<number>
  /** Best TP score reachable per window (its earliest scorable row). */
  bestTp: Map<number, number>
}

function prepare(files: readonly DetectorFile[], profile: CostProfile): Corpus {
  const swept: SweptFile[] = []
  const scorableWindows = new Set<number>()
  const bestTp = new Map<number, number>()
  let windowId = 0
  for (const f of files) {
    const s = sweepFile(f, profile, windowId)
    windowId += f.windows.length
    s.windowOf.forEach((w, i) => {
      if (w < 0) return
      scorableWindows.add(w)
      const sc = s.sweepScore[i] ?? 0
      if (sc > (bestTp.get(w) ?? -Infinity)) bestTp.set(w, sc)
    })
    swept.push(s)
  }
  return { swept, scorableWindows, bestTp }
}

/**
 * Best threshold over the whole corpus: rows sorted by score, the total re-evaluated at each distinct score.
 * Ties are resolved like NAB: the first threshold reaching the best total (the highest) wins.
 */
function sweepThreshold(files: readonly DetectorFile[], corpus: Corpus, profile: CostProfile): { threshold: number; raw: number } {
  const rows: { score: number; win: number; sweep: number }[] = []
  corpus.swept.forEach((s, fi) => {
    const scores = files[fi]?.scores
    if (scores === undefined) return
    for (let i = 0; i < s.windowOf.length; i++) {
      const win = s.windowOf[i] ?? PROBATION
      if (win === PROBATION) continue
      rows.push({ score: scores[i] ?? 0, win, sweep: s.sweepScore[i] ?? 0 })
    }
  })
  rows.sort((a, b) => b.score - a.score)
  const windowScore = new Map<number, number>()
  for (const w of corpus.scorableWindows) windowScore.set(w, -profile.fnWeight)
  let total = -profile.fnWeight * corpus.scorableWindows.size
  let best = { threshold: 1.1, raw: total }
  for (let i = 0; i < rows.length; ) {
    const level = rows[i]?.score ?? 0
    for (; i < rows.length && rows[i]?.score === level; i++) {
      const r = rows[i]
      if (r === undefined) break
      if (r.win === OUTSIDE) {
        total += r.sweep
      } else {
        const cur = windowScore.get(r.win) ?? -profile.fnWeight
        if (r.sweep > cur) {
          total += r.sweep - cur
          windowScore.set(r.win, r.sweep)
        }
      }
    }
    if (total > best.raw) best = { threshold: level, raw: total }
  }
  return best
}

function scoreAtThreshold(file: DetectorFile, swept: SweptFile, profile: CostProfile, threshold: number): FileScore {
  const best = new Map<number, number>()
  let fp = 0
  let fpCost = 0
  swept.windowOf.forEach((w, i) => {
    if (w === PROBATION) return
    if (w >= 0 && !best.has(w)) best.set(w, -profile.fnWeight)
    if ((file.scores[i] ?? 0) < threshold) return
    const sc = swept.sweepScore[i] ?? 0
    if (w === OUTSIDE) {
      fp++
      fpCost += sc
    } else if (sc > (best.get(w) ?? -Infinity)) {
      best.set(w, sc)
    }
  })
  let raw = fpCost
  let tp = 0
  for (const v of best.values()) {
    raw += v
    if (v > 0) tp++
  }
  return { name: file.name, raw, truePositives: tp, falsePositives: fp, falseNegatives: best.size - tp }
}

/**
 * Scores a detector on a corpus for one profile. Without `fixedThreshold` the threshold is chosen to maximise the
 * corpus total (NAB's optimise step); with it, that threshold is applied as given (one chosen on other files).
 */
export function scoreCorpus(files: readonly DetectorFile[], profile: CostProfile, fixedThreshold?: number): CorpusScore {
  const corpus = prepare(files, profile)
  let threshold: number
  let raw: number
  let perFile: FileScore[]
  if (fixedThreshold === undefined) {
    ;({ threshold, raw } = sweepThreshold(files, corpus, profile))
    perFile = files.map((f, i) => scoreAtThreshold(f, corpus.swept[i] ?? sweepFile(f, profile, 0), profile, threshold))
  } else {
    threshold = fixedThreshold
    perFile = files.map((f, i) => scoreAtThreshold(f, corpus.swept[i] ?? sweepFile(f, profile, 0), profile, threshold))
    raw = perFile.reduce((sum, f) => sum + f.raw, 0)
  }
  const nullScore = -profile.fnWeight * corpus.scorableWindows.size
  let perfect = 0
  for (const v of corpus.bestTp.values()) perfect += v
  const denom = perfect - nullScore
  const normalised = denom === 0 ? 0 : (100 * (raw - nullScore)) / denom
  return { threshold, raw, null: nullScore, perfect, normalised, files: perFile }
}
