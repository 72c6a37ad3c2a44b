/**
 * Leave-one-group-out validation over NAB's groups (data/<group>/*.csv). Detector settings are chosen on every
 * group but one and scored on that one; the held-out groups, each scored with the setting its complement chose,
 * are then pooled. Groups differ in kind (cloud metrics, known-cause incidents, synthetic shapes), so a setting
 * fitted to the quirks of some files has to carry over to a different kind of series to score well here.
 */
import { scoreCorpus, type CostProfile, type DetectorFile } from './nab-scorer.js'

/** "<group>/<file>.csv" -> "<group>". */
export function groupOf(name: string): string {
  const slash = name.indexOf('/')
  return slash < 0 ? '' : name.slice(0, slash)
}

export interface LogoGrid<C> {
  groups: string[]
  settings: C[]
  /** Per setting, per group (same order as `groups`): the selection profile's score on all other groups. */
  trainScores: Float64Array[]
}

/**
 * Runs every setting once and keeps, per left-out group, its score on the remaining groups. Only numbers are kept,
 * so a grid of hundreds of settings fits in memory; the chosen settings are run again by `logoEvaluate`.
 */
export function logoGrid<C>(settings: readonly C[], detect: (setting: C) => DetectorFile[], select: CostProfile): LogoGrid<C> {
  if (settings.length === 0) throw new RangeError('leave-one-group-out needs at least one setting')
  let groups: string[] | undefined
  const trainScores = settings.map((setting) => {
    const files = detect(setting)
    groups ??= [...new Set(files.map((f) => groupOf(f.name)))].sort()
    if (groups.length < 2) throw new RangeError(`leave-one-group-out needs at least two groups, found ${groups.length}`)
    return Float64Array.from(groups, (g) => scoreCorpus(files.filter((f) => groupOf(f.name) !== g), select).normalised)
  })
  return { groups: groups ?? [], settings: [...settings], trainScores }
}

/**
 * The same grid when each fold has a detector of its own (a forecaster trained without the held-out group):
 * `detect(setting, heldOut)` is that fold's detector, and its files of the other groups are what the setting is
 * chosen on. It may return only those files (the held-out group's are not read here).
 */
export function logoGridByFold<C>(settings: readonly C[], groups: readonly string[], detect: (setting: C, heldOut: string) => DetectorFile[], select: CostProfile): LogoGrid<C> {
  if (settings.length === 0) throw new RangeError('leave-one-group-out needs at least one setting')
  const sorted = [...new Set(groups)].sort()
  if (sorted.length < 2) throw new RangeError(`leave-one-group-out needs at least two groups, found ${sorted.length}`)
  const trainScores = settings.map((setting) =>
    Float64Array.from(sorted, (g) => {
      const train = detect(setting, g).filter((f) => groupOf(f.name) !== g)
      if (train.length === 0) throw new RangeError(`fold ${g}: the detector returned no file of the other groups`)
      return scoreCorpus(train, select).normalised
    }),
  )
  return { groups: sorted, settings: [...settings], trainScores }
}

/** Scores of one held-out group or of the pool: NAB's threshold sweep on the scored files, and the training threshold. */
export interface HeldOutScore {
  /** Threshold swept on the scored files themselves (NAB's optimise step; the detector's setting is still held out). */
  swept: number
  /** Threshold chosen on the training groups too: nothing about the scored files was used. */
  fixed: number
}

export interface LogoGroupResult<C> {
  group: string
  chosen: C
  /** Selection profile's score of the chosen setting on the training groups. */
  trainScore: number
  /** Per profile name. */
  heldOut: Map<string, HeldOutScore>
}

export interface LogoResult<C> {
  groups: LogoGroupResult<C>[]
  /** Per profile name: the held-out groups scored together. */
  pooled: Map<string, HeldOutScore>
}

/**
 * Chooses, for each left-out group, the best setting among those `keep` admits (ties keep the earlier one, so list
 * simpler settings first), and scores the left-out groups with it. `detect` should be memoised by the caller; it is
 * told the held-out group, so that a fold with a detector of its own (see logoGridByFold) scores the training
 * threshold and the held-out group with that detector, and must return the files of every group.
 * Pooled `fixed`: each group at its own training threshold, the raw totals and the null/perfect bounds summed.
 */
export function logoEvaluate<C>(grid: LogoGrid<C>, keep: (setting: C) => boolean, detect: (setting: C, heldOut: string) => DetectorFile[], profiles: ReadonlyMap<string, CostProfile>): LogoResult<C> {
  const results: LogoGroupResult<C>[] = []
  const pooledFiles: DetectorFile[] = []
  const fixedSums = new Map<string, { raw: number; null: number; perfect: number }>()
  grid.groups.forEach((group, gi) => {
    let best = -1
    grid.settings.forEach((s, si) => {
      if (!keep(s)) return
      if (best < 0 || (grid.trainScores[si]?.[gi] ?? -Infinity) > (grid.trainScores[best]?.[gi] ?? -Infinity)) best = si
    })
    const chosen = grid.settings[best]
    if (chosen === undefined) throw new RangeError('no setting admitted')
    const files = detect(chosen, group)
    const train = files.filter((f) => groupOf(f.name) !== group)
    const test = files.filter((f) => groupOf(f.name) === group)
    pooledFiles.push(...test)
    const heldOut = new Map<string, HeldOutScore>()
    for (const [name, profile] of profiles) {
      const threshold = scoreCorpus(train, profile).threshold
      const fixed = scoreCorpus(test, profile, threshold)
      heldOut.set(name, { swept: scoreCorpus(test, profile).normalised, fixed: fixed.normalised })
      const sum = fixedSums.get(name) ?? { raw: 0, null: 0, perfect: 0 }
      fixedSums.set(name, { raw: sum.raw + fixed.raw, null: sum.null + fixed.null, perfect: sum.perfect + fixed.perfect })
    }
    results.push({ group, chosen, trainScore: grid.trainScores[best]?.[gi] ?? NaN, heldOut })
  })
  const pooled = new Map<string, HeldOutScore>()
  for (const [name, profile] of profiles) {
    const s = fixedSums.get(name) ?? { raw: 0, null: 0, perfect: 0 }
    const denom = s.perfect - s.null
    pooled.set(name, { swept: scoreCorpus(pooledFiles, profile).normalised, fixed: denom === 0 ? 0 : (100 * (s.raw - s.null)) / denom })
  }
  return { groups: results, pooled }
}
