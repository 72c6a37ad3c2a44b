/**
 * Two-fold cross-validation over NAB files. NAB has no separate test set, so detector settings picked on the
 * whole corpus would be scored on the data that chose them; here folds are fixed from the sorted file names
 * before any tuning, settings are chosen on one fold and scored on the other.
 */
import { scoreCorpus, type CostProfile, type DetectorFile } from './nab-scorer.js'

/** Sorted names dealt alternately into fold A (even positions) and fold B (odd positions). */
export function alternateFolds(names: readonly string[]): [Set<string>, Set<string>] {
  const sorted = [...names].sort()
  return [new Set(sorted.filter((_, i) => i % 2 === 0)), new Set(sorted.filter((_, i) => i % 2 === 1))]
}

interface FoldResult<C> {
  /** Fold the setting was chosen on, and its score there. */
  tunedOn: 'A' | 'B'
  chosen: C
  tunedScore: number
  /** The other fold scored with that setting (NAB's threshold sweep on the held-out files alone). */
  heldOutScore: number
}

interface CrossValidation<C> {
  folds: [FoldResult<C>, FoldResult<C>]
  /** Both held-out halves, each produced by the setting tuned on the other half, scored together. */
  pooled: DetectorFile[]
}

/**
 * `detect` runs one setting over every file. Selection maximises the normalised score of `profile` on the
 * tuning fold; ties keep the earlier setting, so list the simpler settings first.
 */
export function crossValidate<C>(settings: readonly C[], detect: (setting: C) => DetectorFile[], profile: CostProfile): CrossValidation<C> {
  if (settings.length === 0) throw new RangeError('crossValidate needs at least one setting')
  let folds: [Set<string>, Set<string>] | undefined
  const runs = settings.map((setting) => {
    const files = detect(setting)
    folds ??= alternateFolds(files.map((f) => f.name))
    const [a, b] = folds
    const pick = (fold: Set<string>): DetectorFile[] => files.filter((f) => fold.has(f.name))
    return { setting, a: pick(a), b: pick(b) }
  })
  const norm = (files: DetectorFile[]): number => scoreCorpus(files, profile).normalised
  const scored = runs.map((r) => ({ ...r, scoreA: norm(r.a), scoreB: norm(r.b) }))
  const best = (key: 'scoreA' | 'scoreB'): (typeof scored)[number] => scored.reduce((x, y) => (y[key] > x[key] ? y : x))
  const onA = best('scoreA')
  const onB = best('scoreB')
  return {
    folds: [
      { tunedOn: 'A', chosen: onA.setting, tunedScore: onA.scoreA, heldOutScore: onA.scoreB },
      { tunedOn: 'B', chosen: onB.setting, tunedScore: onB.scoreB, heldOutScore: onB.scoreA },
    ],
    pooled: [...onA.b, ...onB.a],
  }
}
