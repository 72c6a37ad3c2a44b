/**
 * The detector settings the leave-one-group-out validation chooses among: every component of OnlineAnomalyScorer
 * off or in one of its variants, and the learning period. Each setting records which components it has, so an
 * ablation is the same grid restricted to settings without one component.
 */
import { DEFAULT_LIKELIHOOD } from '../../src/anomaly/likelihood.js'
import type { ScorerOptions } from '../../src/anomaly/scorer.js'

/** Components as the grid switches them, with the setting each has when on. */
export const COMPONENTS = {
  likelihood: 'anomaly likelihood',
  missRecord: 'miss record',
  range: 'range novelty',
  context: 'contextual novelty',
  extremes: 'extreme record',
  flatRun: 'flat-run record',
  suppression: 'rising-edge suppression with ramp',
} as const

export type Component = keyof typeof COMPONENTS

export interface GridSetting {
  /** Components that are on, with the label of their variant ('' when a component has one). */
  on: ReadonlyMap<Component, string>
  learningSteps: number
  opts: ScorerOptions
}

interface Variant {
  label: string
  opts: Partial<ScorerOptions>
}

/**
 * What each component can be when on. The likelihood's averaging span has the earlier setting and the one the
 * candidates' validation found (docs/benchmarks.md). The context has paths of 4 levels (order 3, the earlier
 * setting) or of 3 (order 2) at a few sets of resolutions; every resolution's set of met contexts is held to 512
 * bytes (a Bloom filter above that), so a finer resolution costs at most 512 bytes (bytes per policy in the label).
 */
const ctx = (bins: number[], order: number): Partial<ScorerOptions> => ({ context: { bins, order, gapSteps: 1000, maxSetBytes: 512 } })
const VARIANTS: { [K in Component]: readonly Variant[] } = {
  likelihood: [
    { label: 'averaged over 10 rows', opts: { scoreLikelihood: true, likelihoodSpans: [10] } },
    { label: 'averaged over 30 rows', opts: { scoreLikelihood: true, likelihoodSpans: [30] } },
  ],
  missRecord: [{ label: '', opts: { errorRecord: { averagingSteps: 10, historySteps: 2000 } } }],
  range: [{ label: '', opts: { rangeTolerance: 0.05 } }],
  context: [
    { label: 'paths of 4, 4-12 levels, 1.2 KB', opts: ctx([4, 6, 8, 12], 3) },
    { label: 'paths of 4, 4-16 levels, 1.7 KB', opts: ctx([4, 6, 8, 12, 16], 3) },
    { label: 'paths of 3, 4-12 levels, 0.3 KB', opts: ctx([4, 6, 8, 12], 2) },
    { label: 'paths of 3, 4-24 levels, 1.3 KB', opts: ctx([4, 6, 8, 12, 16, 24], 2) },
    { label: 'paths of 3, 4-32 levels, 1.9 KB', opts: ctx([4, 6, 8, 12, 16, 24, 32], 2) },
  ],
  extremes: [{ label: '', opts: { extremes: { gapSteps: 300, maxScore: 0.8 } } }],
  flatRun: [{ label: '', opts: { flatRun: { minSteps: 30, maxScore: 1 } } }],
  suppression: [{ label: '', opts: { suppressSteps: 200, ramp: { steps: 5, margin: 0.2 } } }],
}

/** The components of the served detector's grid. */
export const ESTABLISHED: readonly Component[] = ['likelihood', 'missRecord', 'range', 'context', 'extremes', 'flatRun', 'suppression']

/**
 * Changes tried against the served detector (`bench:nab -- --logo --candidates`): each is offered beside the served
 * setting to the leave-one-group-out choice, so it counts only if groups it was not chosen on gain from it.
 */
export const CANDIDATES: ReadonlyArray<{ label: string; change: Partial<ScorerOptions> }> = [
  { label: 'window novelty, 16 and 64 rows, vigilance 0.1, 64 shapes', change: { windows: [{ windowSteps: 16, points: 4, vigilance: 0.1, memory: 64, gapSteps: 1000 }, { windowSteps: 64, points: 8, vigilance: 0.1, memory: 64, gapSteps: 1000 }] } },
  { label: 'window novelty, 64 rows only, vigilance 0.15, 64 shapes', change: { windows: [{ windowSteps: 64, points: 8, vigilance: 0.15, memory: 64, gapSteps: 1000 }] } },
  { label: 'contextual novelty with bounded memory (forgotten after 2,000-4,000 rows)', change: { context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 1000, forgetSteps: 2000 } } },
  { label: 'suppression over 100 rows', change: { suppressSteps: 100 } },
  { label: 'suppression over 400 rows', change: { suppressSteps: 400 } },
  { label: 'contextual novelty at 4, 6, 8, 12, 16 levels', change: { context: { bins: [4, 6, 8, 12, 16], order: 3, gapSteps: 1000 } } },
  { label: 'contextual novelty quiet-time scale 300', change: { context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 300 } } },
  { label: 'likelihood averaged over 5 rows', change: { likelihoodSpans: [5] } },
  { label: 'likelihood averaged over 30 rows', change: { likelihoodSpans: [30] } },
  { label: 'likelihood averaged over 60 rows', change: { likelihoodSpans: [60] } },
  { label: 'likelihood averaged over 120 rows', change: { likelihoodSpans: [120] } },
  { label: 'likelihood at spans 10 and 30 (largest)', change: { likelihoodSpans: [10, 30] } },
  { label: 'likelihood at spans 10 and 60 (largest)', change: { likelihoodSpans: [10, 60] } },
  { label: 'likelihood at spans 30 and 120 (largest)', change: { likelihoodSpans: [30, 120] } },
  { label: 'likelihood at spans 10, 30 and 120 (largest)', change: { likelihoodSpans: [10, 30, 120] } },
  { label: 'likelihood over 30 rows, context at 4-16 levels', change: { likelihoodSpans: [30], context: { bins: [4, 6, 8, 12, 16], order: 3, gapSteps: 1000 } } },
  { label: 'forecast score and contextual novelty fused as 1 - (1-a)(1-b) instead of the larger', change: { fusion: 'or' } },
  { label: 'context sets exact (no byte limit: 6.7 KB per policy)', change: { context: { bins: [4, 6, 8, 12, 16, 24, 32], order: 2, gapSteps: 1000 } } },
  { label: 'context sets held to 128 bytes (0.6 KB per policy)', change: { context: { bins: [4, 6, 8, 12, 16, 24, 32], order: 2, gapSteps: 1000, maxSetBytes: 128 } } },
  { label: 'context quiet-time scale 3,000 (paths of 3)', change: { context: { bins: [4, 6, 8, 12, 16, 24, 32], order: 2, gapSteps: 3000, maxSetBytes: 512 } } },
  { label: 'likelihood deviation floor 0.05', change: { likelihood: { ...DEFAULT_LIKELIHOOD, minStd: 0.05 } } },
  { label: 'likelihood history 2,000 rows', change: { likelihood: { ...DEFAULT_LIKELIHOOD, historySteps: 2000 } } },
]

export const LEARNING_STEPS = [120, 300] as const

/** The options of a setting with these component variants on. */
export function scorerOptions(on: ReadonlyMap<Component, string>, learningSteps: number): ScorerOptions {
  let opts: ScorerOptions = { likelihood: { ...DEFAULT_LIKELIHOOD, learningSteps }, scoreLikelihood: false, rangeTolerance: undefined }
  for (const [c, label] of on) {
    const v = VARIANTS[c].find((x) => x.label === label)
    if (v === undefined) throw new RangeError(`${c}: no variant "${label}"`)
    opts = { ...opts, ...v.opts }
  }
  return opts
}

/**
 * Every combination of components off or in a variant, fewer components first (ties in the selection keep the
 * simpler setting), then earlier variants and shorter learning first.
 */
export function detectorGrid(components: readonly Component[] = ESTABLISHED): GridSetting[] {
  let combos: Array<Map<Component, string>> = [new Map<Component, string>()]
  for (const c of components) combos = combos.flatMap((m) => [m, ...VARIANTS[c].map((v) => new Map<Component, string>([...m, [c, v.label]]))])
  const out = combos.flatMap((on) => LEARNING_STEPS.map((learningSteps) => ({ on, learningSteps, opts: scorerOptions(on, learningSteps) })))
  return out.sort((a, b) => a.on.size - b.on.size)
}

export function describeSetting(s: GridSetting): string {
  const names = (Object.keys(COMPONENTS) as Component[]).flatMap((c) => {
    const v = s.on.get(c)
    return v === undefined ? [] : [v === '' ? COMPONENTS[c] : `${COMPONENTS[c]} (${v})`]
  })
  return `${names.length === 0 ? 'nothing' : names.join(', ')}; learning ${s.learningSteps}`
}
