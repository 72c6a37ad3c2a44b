/**
 * NAB on the 30-series subset: model horizon-1 quantile forecasts -> the adapter's anomaly scorer (the same
 * OnlineAnomalyScorer with the same DEFAULT_SCORER the engine serves) -> NAB scorer. Forecasts are computed in
 * batches, but the forecast used for row t+1 was made from rows <= t, and the scorer is fed row by row, so every
 * score sees only the past. Run: npm run bench:nab; `-- --logo` adds the leave-one-group-out validation (settings
 * chosen on all groups but one, scored on that one, pooled), with the model's forecasts and with a model-free
 * forecast that has seen no file; `-- --candidates` offers each change tried beside the served detector to the same
 * validation; `-- --data DIR` scores any corpus in NAB's layout, `-- --results DIR` writes NAB-format result files
 * for NAB's own scorer. `-- --model-per-group DIR` runs the leave-one-group-out validation once more with each
 * fold's own forecaster, DIR/<group>/foresight-forecaster.onnx, trained without the held-out group (npm run
 * model:loso writes models/.loso/<group>/): the setting is chosen on the other groups and the group scored with that
 * same forecaster, so neither the setting nor the forecaster's weights have seen the scored files.
 */
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SCORER, OnlineAnomalyScorer, type ScorerOptions } from '../src/anomaly/scorer.js'
import { forecastAtOrigins } from './lib/model-forecasts.js'
import { modelFreeForecasts } from './lib/model-free-forecasts.js'
import { fmt, formatTable } from '../src/forecast/table.js'
import { heldoutFor, loadSplit } from './lib/split.js'
import { reportBenchError } from './lib/cli-errors.js'
import { sharedDataDir } from './lib/traces.js'
import { NabLayoutError, loadNabCorpus, writeNabResults, type NabCorpusFile } from './lib/nab-corpus.js'
import { HORIZON_STEPS, createForecasterSession } from '../src/model/onnx.js'
import { defaultModelPath, modelSha256 } from './lib/model-files.js'
import { CANDIDATES, COMPONENTS, ESTABLISHED, describeSetting, detectorGrid, type Component, type GridSetting } from './lib/nab-grid.js'
import { fromRow } from './lib/nab-unseen.js'
import { groupOf, logoEvaluate, logoGrid, logoGridByFold, type LogoGrid, type LogoResult } from './lib/nab-logo.js'
import { foldModelPaths } from './lib/nab-fold-models.js'
import { BenchOptionError } from './lib/sources.js'
import { NAB_PROFILES, scoreCorpus, type CostProfile, type DetectorFile } from './lib/nab-scorer.js'

const PROFILE_LABELS: Record<string, string> = {
  standard: 'standard',
  reward_low_FP_rate: 'reward_low_FP',
  reward_low_FN_rate: 'reward_low_FN',
}

/** The threshold of the ForesightWorkloadAnomaly alert in deploy/monitoring/prometheusrule.yaml. */
const ALERT_THRESHOLD = 0.9

/** Result-file detector name: the detector as the adapter serves it. */
const RESULT_DETECTOR = 'foresight'

interface Prepared {
  name: string
  file: NabCorpusFile
  values: Float64Array
  windows: DetectorFile['windows']
  /** Rows a horizon-1 forecast was made at, and its p10/p50/p90 (3 per origin). */
  origins: Int32Array
  h1: Float32Array
  /** First row the model was not trained on (models/split.json). */
  unseenStart: number
}

/** Row-by-row scoring: the forecast for row t+1 is handed over only after row t has been scored. */
function detect(prepared: readonly Prepared[], opts: ScorerOptions): DetectorFile[] {
  return prepared.map((p) => {
    const scorer = new OnlineAnomalyScorer(opts)
    const scores = new Float64Array(p.values.length)
    let k = 0
    for (let t = 0; t < p.values.length; t++) {
      scores[t] = scorer.score(p.values[t] ?? NaN)
      while (k < p.origins.length && (p.origins[k] ?? Infinity) < t) k++
      if (p.origins[k] !== t) continue
      scorer.expect(p.h1[3 * k] ?? NaN, p.h1[3 * k + 1] ?? NaN, p.h1[3 * k + 2] ?? NaN)
    }
    return { name: p.name, scores, windows: p.windows }
  })
}

/** Every file's horizon-1 forecasts by one model, made at every row but the last. */
async function prepareWith(session: Awaited<ReturnType<typeof createForecasterSession>>, corpus: { files: readonly NabCorpusFile[] }, split: ReturnType<typeof loadSplit>): Promise<{ prepared: Prepared[]; rows: number; forecastMs: number }> {
  const prepared: Prepared[] = []
  let rows = 0
  let forecastMs = 0
  for (const file of corpus.files) {
    const s = file.series
    const n = s.values.length
    // The split's entry when this is the repository's corpus (same name), else the day period from the step.
    const e = heldoutFor(split, `nab/data/${file.name}`, n, s.stepSeconds)
    const t0 = performance.now()
    const fc = await forecastAtOrigins(session, s.values, Int32Array.from({ length: Math.max(0, n - 1) }, (_, i) => i), e.periodDaySteps, e.periodWeekSteps)
    forecastMs += performance.now() - t0
    rows += n
    const h1 = new Float32Array(fc.origins.length * 3)
    for (let i = 0; i < fc.origins.length; i++) h1.set(fc.quantiles.subarray(i * HORIZON_STEPS * 3, i * HORIZON_STEPS * 3 + 3), 3 * i)
    prepared.push({ name: file.name, file, values: s.values, windows: file.windows, origins: fc.origins, h1, unseenStart: Math.min(e.unseenStartIndex, n - 1) })
  }
  return { prepared, rows, forecastMs }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { logo: { type: 'boolean', default: false }, candidates: { type: 'boolean', default: false }, data: { type: 'string' }, results: { type: 'string' }, 'model-per-group': { type: 'string' } }, strict: true })
  // The corpus is read and checked before the model loads, so a bad layout fails at once.
  const corpus = loadNabCorpus(args.data ?? join(sharedDataDir(), 'nab'))
  const groups = [...new Set(corpus.files.map((f) => groupOf(f.name)))]
  if (args.logo && groups.length < 2) throw new NabLayoutError(`--logo needs at least two groups under data/, found ${groups.length}`)
  const perGroupDir = args['model-per-group']
  if (perGroupDir !== undefined && groups.length < 2) throw new BenchOptionError(`--model-per-group needs at least two groups under data/, found ${groups.length}`)
  // Checked before any forecast is made, so a missing model fails at once.
  const foldModels = perGroupDir === undefined ? undefined : foldModelPaths(perGroupDir, groups)
  const modelPath = defaultModelPath()
  if (!existsSync(modelPath)) throw new Error(`model artifact missing: ${modelPath}`)
  const split = loadSplit()
  const profiles = corpus.profiles
  const session = await createForecasterSession(modelPath)
  const { prepared, rows, forecastMs } = await prepareWith(session, corpus, split)

  const t0 = performance.now()
  const files = detect(prepared, DEFAULT_SCORER)
  const scoreMs = performance.now() - t0
  const profileNames = [...profiles.keys()].map((n) => PROFILE_LABELS[n] ?? n)
  const brief = (detected: DetectorFile[]): string[] => [...profiles.values()].map((profile) => fmt(scoreCorpus(detected, profile).normalised, 1))

  console.log(`NAB bench: ${corpus.root}: ${files.length} series (${groups.join(', ')}), ${rows} rows`)
  for (const n of corpus.notes) console.log(`note: ${n}`)
  console.log(`detector: the adapter's anomaly scorer (DEFAULT_SCORER), fed the model's p10/p50/p90 at horizon 1; model ${modelPath} (sha256 ${modelSha256(modelPath)})`)
  if (args.data === undefined) {
    console.log('note: these NAB series (except the wholly held-out files in models/split.json) contributed their early rows to model training')
    console.log('scores on this subset are not comparable one-to-one with the published 58-series scoreboard')
  }
  console.log(`detector settings: ${JSON.stringify(DEFAULT_SCORER)}\n`)

  console.log('== In-sample ablations of the served detector (normalised scores, threshold swept per profile)')
  const toggles: Array<[string, ScorerOptions]> = [
    ['as served (DEFAULT_SCORER)', DEFAULT_SCORER],
    ['model-free forecast instead of the model', DEFAULT_SCORER],
    [DEFAULT_SCORER.scoreLikelihood === false ? 'with the anomaly likelihood' : 'without the anomaly likelihood', { ...DEFAULT_SCORER, scoreLikelihood: DEFAULT_SCORER.scoreLikelihood === false }],
    [DEFAULT_SCORER.errorRecord === undefined ? 'with the miss record' : 'without the miss record', { ...DEFAULT_SCORER, errorRecord: DEFAULT_SCORER.errorRecord === undefined ? { averagingSteps: 10, historySteps: 2000 } : undefined }],
    [DEFAULT_SCORER.rangeTolerance === undefined ? 'with range novelty' : 'without range novelty', { ...DEFAULT_SCORER, rangeTolerance: DEFAULT_SCORER.rangeTolerance === undefined ? 0.05 : undefined }],
    ['without contextual novelty', { ...DEFAULT_SCORER, context: undefined }],
    ['without the extreme record', { ...DEFAULT_SCORER, extremes: undefined }],
    ['without the flat-run record', { ...DEFAULT_SCORER, flatRun: undefined }],
    ['without rising-edge suppression (a level, as served before)', { ...DEFAULT_SCORER, suppressSteps: 0, ramp: undefined }],
    ['context as served before (paths of 4, 4-12 levels, exact bitmaps)', { ...DEFAULT_SCORER, context: { bins: [4, 6, 8, 12], order: 3, gapSteps: 1000 } }],
    ['before the validation (likelihood over 10 rows, context at 4-10 levels)', { ...DEFAULT_SCORER, likelihood: { ...DEFAULT_SCORER.likelihood, averagingSteps: 10 }, likelihoodSpans: undefined, context: { bins: [4, 6, 8, 10], order: 3, gapSteps: 1000 } }],
  ]
  const modelFree = prepareModelFree(prepared)
  console.log(
    formatTable(
      ['detector', ...profileNames],
      toggles.map(([label, opts], i): string[] => [label, ...brief(detect(i === 1 ? modelFree : prepared, opts))]),
    ),
  )

  if (args.results !== undefined) {
    // What NAB's own optimise/score steps read.
    const byName = new Map(prepared.map((p) => [p.name, p.file]))
    const written = writeNabResults(
      args.results,
      RESULT_DETECTOR,
      files.map((d) => {
        const f = byName.get(d.name)
        if (f === undefined) throw new Error(`no corpus file for ${d.name}`)
        return { ...f, scores: d.scores }
      }),
    )
    console.log(`\nwrote ${written.length} NAB result files under ${args.results}: ${RESULT_DETECTOR}/<group>/${RESULT_DETECTOR}_<file>.csv (as the adapter serves it) with timestamp,value,anomaly_score,label`)
  }

  if (args.logo) {
    leaveOneGroupOut('model forecasts', groups, () => prepared, profiles, profileNames, ESTABLISHED)
    leaveOneGroupOut('model-free forecasts (seen no file)', groups, () => modelFree, profiles, profileNames, ESTABLISHED)
  }
  if (foldModels !== undefined) {
    const byFold = new Map<string, Prepared[]>()
    for (const [g, path] of foldModels) {
      const foldSession = await createForecasterSession(path)
      const fold = await prepareWith(foldSession, corpus, split).finally(() => foldSession.release())
      byFold.set(g, fold.prepared)
      console.log(`\nfold ${g}: forecaster ${path} (sha256 ${modelSha256(path)}), forecasts ${fmt(fold.forecastMs / 1000, 0)} s`)
    }
    const forFold = (g: string): Prepared[] => {
      const p = byFold.get(g)
      if (p === undefined) throw new Error(`no forecasts for fold ${g}`)
      return p
    }
    leaveOneGroupOut(`each group's own forecaster (${perGroupDir ?? ''}/<group>/), for the choice on the other groups and the scoring`, groups, forFold, profiles, profileNames, ESTABLISHED, true)
  }
  if (args.candidates) {
    if (groups.length < 2) throw new NabLayoutError(`--candidates needs at least two groups under data/, found ${groups.length}`)
    tryCandidates(prepared, profiles, profileNames)
  }

  console.log('\n== The served detector (DEFAULT_SCORER) on all files, in-sample')
  const table: string[][] = []
  let standard: ReturnType<typeof scoreCorpus> | undefined
  for (const [name, profile] of profiles) {
    const r = scoreCorpus(files, profile)
    if (name === 'standard') standard = r
    table.push([PROFILE_LABELS[name] ?? name, fmt(r.threshold, 4), fmt(r.raw, 2), fmt(r.null, 2), fmt(r.perfect, 2), fmt(r.normalised, 1)])
  }
  console.log(formatTable(['profile', 'threshold', 'raw', 'null', 'perfect', 'normalised'], table))
  // What the shipped alert (ForesightWorkloadAnomaly) fires on: a fixed threshold, not one swept on the files.
  console.log(`at the shipped alert's threshold (${ALERT_THRESHOLD}): ${[...profiles].map(([n, p]) => `${PROFILE_LABELS[n] ?? n} ${fmt(scoreCorpus(files, p, ALERT_THRESHOLD).normalised, 1)}`).join(', ')}`)
  const load = loadavg().map((x) => fmt(x, 2)).join(' ')
  console.log(`\ncompute per point as served: ${fmt((forecastMs + scoreMs) / rows, 4)} ms (model forecast ${fmt(forecastMs / rows, 4)} ms batched, anomaly scorer ${fmt(scoreMs / rows, 4)} ms); load average ${load}`)
  if (standard !== undefined) {
    console.log(`\n== Per file at the standard threshold (${fmt(standard.threshold, 4)})`)
    console.log(formatTable(['file', 'windows', 'TP', 'FP', 'FN', 'raw'], standard.files.map((f, i) => [f.name, String(files[i]?.windows.length ?? 0), String(f.truePositives), String(f.falsePositives), String(f.falseNegatives), fmt(f.raw, 2)])))
  }
}

/** The same files with the model-free horizon-1 forecasts in place of the model's. */
function prepareModelFree(prepared: readonly Prepared[]): Prepared[] {
  return prepared.map((p) => {
    const f = modelFreeForecasts(p.values)
    return { ...p, origins: f.origins, h1: f.quantiles }
  })
}

/**
 * `forFold(heldOut)`: the files with the forecasts that fold uses. One forecaster for every fold unless `perFold`:
 * then each fold's setting is chosen with its own forecaster on the other groups' files and scored with it.
 */
function leaveOneGroupOut(label: string, groups: readonly string[], forFold: (heldOut: string) => readonly Prepared[], profiles: Map<string, CostProfile>, profileNames: string[], components: readonly Component[], perFold = false): void {
  const select = profiles.get('standard') ?? NAB_PROFILES.standard
  const grid = detectorGrid(components)
  const t0 = performance.now()
  const cache = new Map<string, Map<GridSetting, DetectorFile[]>>()
  const run = (s: GridSetting, heldOut = ''): DetectorFile[] => {
    const key = perFold ? heldOut : ''
    const fold = cache.get(key) ?? new Map<GridSetting, DetectorFile[]>()
    cache.set(key, fold)
    const hit = fold.get(s)
    if (hit !== undefined) return hit
    const out = detect(forFold(key), s.opts)
    fold.set(s, out)
    return out
  }
  // Per fold only the other groups' files are needed to choose (two thirds of the rows, once per fold).
  const table: LogoGrid<GridSetting> = perFold
    ? logoGridByFold(grid, groups, (s, g) => detect(forFold(g).filter((p) => groupOf(p.name) !== g), s.opts), select)
    : logoGrid(grid, (s) => detect(forFold(''), s.opts), select)
  const full = logoEvaluate(table, () => true, run, profiles)
  console.log(`\n== Leave-one-group-out, ${label}: ${grid.length} settings (every component off or in one of its variants, learning 120 or 300 rows), chosen on the standard profile over the other groups (${fmt((performance.now() - t0) / 1000, 0)} s)`)
  console.log('swept: threshold swept on the held-out group (NAB\'s optimise step); fixed: the training groups\' threshold')
  const cols = profileNames.flatMap((n) => [`${n} swept`, 'fixed'])
  const cells = (r: LogoResult<GridSetting>['pooled']): string[] => [...profiles.keys()].flatMap((n) => [fmt(r.get(n)?.swept ?? NaN, 1), fmt(r.get(n)?.fixed ?? NaN, 1)])
  console.log(
    formatTable(
      ['held-out group', 'chosen on the other groups', 'train standard', ...cols],
      [...full.groups.map((g) => [g.group, describeSetting(g.chosen), fmt(g.trainScore, 1), ...cells(g.heldOut)]), ['pooled', '', '', ...cells(full.pooled)]],
    ),
  )
  if (perFold) {
    // Each fold's forecaster has seen no row of its held-out group, so there is no seen/unseen split to report, and
    // no single forecaster for a choice on all groups. The served setting as it is (chosen on all files with the
    // shipped model, so not held out as a setting) with each group's own forecaster: what the forecaster alone costs.
    const served = groups.map((g) => detect(forFold(g).filter((p) => groupOf(p.name) === g), DEFAULT_SCORER))
    const perGroup = groups.map((g, i) => `${g} ${fmt(scoreCorpus(served[i] ?? [], select).normalised, 1)}`).join(', ')
    console.log(`the served setting (DEFAULT_SCORER) on each group with its own forecaster, pooled with NAB's sweep: ${[...profiles].map(([n, p]) => `${PROFILE_LABELS[n] ?? n} ${fmt(scoreCorpus(served.flat(), p).normalised, 1)}`).join(', ')} (standard per group: ${perGroup})`)
    ablation(label, table, run, profiles, components, cells, cols)
    return
  }
  const prepared = forFold('')
  // Whether the forecaster's training rows flatter it: the same held-out scores on the rows it never saw.
  const unseen = full.groups.flatMap((g) => run(g.chosen).filter((f) => groupOf(f.name) === g.group).map((f) => fromRow(f, prepared.find((p) => p.name === f.name)?.unseenStart ?? 0)))
  const windowsAll = prepared.reduce((n, p) => n + p.windows.length, 0)
  const windowsUnseen = unseen.reduce((n, f) => n + f.windows.length, 0)
  console.log(`pooled on the rows the model was not trained on (from each file's validation start, whole files for the 5 wholly held-out; ${windowsUnseen} of ${windowsAll} windows): ${[...profiles].map(([n, p]) => `${PROFILE_LABELS[n] ?? n} ${fmt(scoreCorpus(unseen, p).normalised, 1)}`).join(', ')}`)
  // The same procedure on all groups: what it would serve.
  const allScores = grid.map((s) => scoreCorpus(run(s), select).normalised)
  let best = 0
  allScores.forEach((v, i) => {
    if (v > (allScores[best] ?? -Infinity)) best = i
  })
  const chosenAll = grid[best]
  if (chosenAll !== undefined) console.log(`chosen on all groups (in-sample standard ${fmt(allScores[best] ?? NaN, 1)}): ${describeSetting(chosenAll)}`)
  ablation(label, table, run, profiles, components, cells, cols)
}

function ablation(label: string, table: LogoGrid<GridSetting>, run: (s: GridSetting, heldOut: string) => DetectorFile[], profiles: Map<string, CostProfile>, components: readonly Component[], cells: (r: LogoResult<GridSetting>['pooled']) => string[], cols: string[]): void {
  const full = logoEvaluate(table, () => true, run, profiles)
  console.log(`\n== Ablation, ${label}: leave-one-group-out pooled with one component held off (the grid restricted to settings without it)`)
  const rows: string[][] = [['none (full grid)', ...cells(full.pooled)]]
  for (const c of components) {
    const r = logoEvaluate(table, (s) => !s.on.has(c), run, profiles)
    rows.push([`${COMPONENTS[c]} off`, ...cells(r.pooled)])
  }
  // What the shorter paths bring: the context held to paths of 4 levels, as before.
  rows.push(['contextual novelty with paths of 3 levels (paths of 4 only)', ...cells(logoEvaluate(table, (s) => !(s.on.get('context') ?? '').startsWith('paths of 3'), run, profiles).pooled)])
  for (const steps of [120, 300]) rows.push([`learning fixed at ${steps}`, ...cells(logoEvaluate(table, (s) => s.learningSteps === steps, run, profiles).pooled)])
  console.log(formatTable(['held off', ...cols], rows))
}

/**
 * Each candidate change offered beside the served setting: per left-out group the better of the two on the other
 * groups is scored on it. A candidate that no group's complement picks leaves the pooled score as it is.
 */
function tryCandidates(prepared: readonly Prepared[], profiles: Map<string, CostProfile>, profileNames: string[]): void {
  const select = profiles.get('standard') ?? NAB_PROFILES.standard
  const t0 = performance.now()
  const served = { label: 'served', opts: DEFAULT_SCORER }
  const settings = [served, ...CANDIDATES.map((c) => ({ label: c.label, opts: { ...DEFAULT_SCORER, ...c.change } }))]
  const cache = new Map<string, DetectorFile[]>()
  const run = (s: { label: string; opts: ScorerOptions }): DetectorFile[] => {
    const hit = cache.get(s.label)
    if (hit !== undefined) return hit
    const out = detect(prepared, s.opts)
    cache.set(s.label, out)
    return out
  }
  const table = logoGrid(settings, run, select)
  const rows = settings.map((c) => {
    const r = logoEvaluate(table, (s) => s === served || s === c, run, profiles)
    const picked = r.groups.filter((g) => g.chosen === c && c !== served).map((g) => g.group)
    const inSample = [...profiles.values()].map((p) => fmt(scoreCorpus(run(c), p).normalised, 1))
    return [c.label, picked.length === 0 ? '-' : picked.join(', '), ...[...profiles.keys()].map((n) => fmt(r.pooled.get(n)?.swept ?? NaN, 1)), ...inSample]
  })
  const all = logoEvaluate(table, () => true, run, profiles)
  rows.push(['any of them (all offered at once)', all.groups.map((g) => `${g.group}: ${g.chosen.label}`).join('; '), ...[...profiles.keys()].map((n) => fmt(all.pooled.get(n)?.swept ?? NaN, 1)), '', '', ''])
  console.log(`\n== Candidates beside the served detector, leave-one-group-out with model forecasts (${fmt((performance.now() - t0) / 1000, 0)} s)`)
  console.log(formatTable(['candidate', 'chosen when left out', ...profileNames.map((n) => `LOGO ${n}`), ...profileNames.map((n) => `in-sample ${n}`)], rows))
}

main().catch(reportBenchError)
