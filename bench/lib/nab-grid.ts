/**
 * The detector settings the leave-one-group-out validation chooses among: every component of OnlineAnomalyScorer
 * on or off, and the learning period. Each setting records which components it has, so an ablation is the same
 * grid restricted to settings without one component: no component is judged at a value tuned with it switched on.
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
  on: ReadonlySet<Component>
  learningSteps: number
  opts: ScorerOptions
}

const ON: { [K in Component]: Partial<ScorerOptions> } = {
  likelihood: { scoreLikelihood: true },
  missRecord: { errorRecord: { averagingSteps: 10, historySteps: 2000 } },
  range: { rangeTolerance: 0.05 },
  context: { context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 1000 } },
  extremes: { extremes: { gapSteps: 300, maxScore: 0.8 } },
  flatRun: { flatRun: { minSteps: 30, maxScore: 1 } },
  suppression: { suppressSteps: 200, ramp: { steps: 5, margin: 0.2 } },
}

/** The components of the served detector's grid. */
export const ESTABLISHED: readonly Component[] = ['likelihood', 'missRecord', 'range', 'context', 'extremes', 'flatRun', 'suppression']

/**
 * Changes tried against the served detector (`bench:nab -- --logo --candidates`): each is offered beside the served
 * setting to the leave-one-group-out choice, so it counts only if groups it was not chosen on gain from it.
 */
export const CANDIDATES: ReadonlyArray<{ label: string; change: Partial<ScorerOptions> }> = [
  { label: 'window novelty, 16 and 64 rows, vigilance 0.1, 64 shapes', change: { windows: [{ windowSteps: 16, points: 4, vigilance: 0.1, memory: 64, gapSteps: 1000 }, { windowSteps: 64, points: 8, vigilance: 0.1, memory: 64, gapSteps: 1000 }] } },
  { label: 'window novelty, 16 and 64 rows, vigilance 0.2, 32 shapes', change: { windows: [{ windowSteps: 16, points: 4, vigilance: 0.2, memory: 32, gapSteps: 1000 }, { windowSteps: 64, points: 8, vigilance: 0.2, memory: 32, gapSteps: 1000 }] } },
  { label: 'window novelty, 64 rows only, vigilance 0.15, 64 shapes', change: { windows: [{ windowSteps: 64, points: 8, vigilance: 0.15, memory: 64, gapSteps: 1000 }] } },
  { label: 'contextual novelty with bounded memory (forgotten after 2,000-4,000 rows)', change: { context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 1000, forgetSteps: 2000 } } },
  { label: 'suppression over 100 rows', change: { suppressSteps: 100 } },
  { label: 'suppression over 400 rows', change: { suppressSteps: 400 } },
  { label: 'contextual novelty at 4, 6, 8, 12, 16 levels', change: { context: { bins: [4, 6, 8, 12, 16], order: 3, gapSteps: 1000 } } },
  { label: 'contextual novelty quiet-time scale 300', change: { context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 300 } } },
  { label: 'likelihood averaged over 5 rows', change: { likelihood: { ...DEFAULT_LIKELIHOOD, averagingSteps: 5 } } },
  { label: 'likelihood averaged over 30 rows', change: { likelihood: { ...DEFAULT_LIKELIHOOD, averagingSteps: 30 } } },
  { label: 'likelihood deviation floor 0.05', change: { likelihood: { ...DEFAULT_LIKELIHOOD, minStd: 0.05 } } },
  { label: 'likelihood history 2,000 rows', change: { likelihood: { ...DEFAULT_LIKELIHOOD, historySteps: 2000 } } },
]

export const LEARNING_STEPS = [120, 300] as const

/** The options of a setting with these components on. */
export function scorerOptions(on: ReadonlySet<Component>, learningSteps: number): ScorerOptions {
  let opts: ScorerOptions = { likelihood: { ...DEFAULT_LIKELIHOOD, learningSteps }, scoreLikelihood: false, rangeTolerance: undefined }
  for (const c of on) opts = { ...opts, ...ON[c] }
  return opts
}

/** Every combination, fewer components first (ties in the selection keep the simpler setting), shorter learning first. */
export function detectorGrid(components: readonly Component[] = ESTABLISHED): GridSetting[] {
  const out: GridSetting[] = []
  for (let mask = 0; mask < 1 << components.length; mask++) {
    const on = new Set(components.filter((_, i) => (mask & (1 << i)) !== 0))
    for (const learningSteps of LEARNING_STEPS) out.push({ on, learningSteps, opts: scorerOptions(on, learningSteps) })
  }
  return out.sort((a, b) => a.on.size - b.on.size)
}

export function describeSetting(s: GridSetting): string {
  const names = (Object.keys(COMPONENTS) as Component[]).filter((c) => s.on.has(c)).map((c) => COMPONENTS[c])
  return `${names.length === 0 ? 'nothing' : names.join(', ')}; learning ${s.learningSteps}`
}
