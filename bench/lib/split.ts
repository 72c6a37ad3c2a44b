/**
 * The fixed held-out split written by the model pipeline (models/split.json). Benches evaluate only on rows
 * [heldoutStartIndex, rows); when the file is missing they fall back to the last 20% and say so.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { repoRoot } from './traces.js'

const splitFile = z.object({
  path: z.string(),
  family: z.string(),
  rows: z.number().int().positive(),
  step_seconds: z.number().positive(),
  period_day_steps: z.number().int().positive(),
  period_week_steps: z.number().int().positive().optional(),
  validation_start_index: z.number().int().nonnegative().optional(),
  heldout_start_index: z.number().int().nonnegative(),
  wholly_heldout: z.boolean().optional(),
})

const splitSchema = z.object({
  files: z.array(splitFile),
  wholly_heldout_files: z.array(z.string()).optional(),
})

export interface SplitEntry {
  /** Relative to the shared data dir. */
  path: string
  family: string
  rows: number
  stepSeconds: number
  periodDaySteps: number
  periodWeekSteps: number
  heldoutStartIndex: number
  /** Start of the validation rows (which end at heldoutStartIndex), when the split has them. */
  validationStartIndex?: number
  /** First row the model was not trained on: 0 for a wholly held-out file, else the validation start. */
  unseenStartIndex: number
  whollyHeldout: boolean
}

interface Split {
  /** Where it came from, for the bench header. */
  source: string
  entries: Map<string, SplitEntry>
}

const SPLIT_PATH = 'models/split.json'
const FALLBACK_HELDOUT_FRACTION = 0.2

export function loadSplit(file = join(repoRoot(), SPLIT_PATH)): Split | undefined {
  if (!existsSync(file)) return undefined
  const parsed = splitSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
  const wholly = new Set(parsed.wholly_heldout_files ?? [])
  const entries = new Map<string, SplitEntry>()
  for (const f of parsed.files) {
    entries.set(f.path, {
      path: f.path,
      family: f.family,
      rows: f.rows,
      stepSeconds: f.step_seconds,
      periodDaySteps: f.period_day_steps,
      periodWeekSteps: f.period_week_steps ?? 7 * f.period_day_steps,
      heldoutStartIndex: f.heldout_start_index,
      ...(f.validation_start_index !== undefined ? { validationStartIndex: f.validation_start_index } : {}),
      unseenStartIndex: (f.wholly_heldout ?? wholly.has(f.path)) ? 0 : (f.validation_start_index ?? f.heldout_start_index),
      whollyHeldout: f.wholly_heldout ?? wholly.has(f.path),
    })
  }
  return { source: file, entries }
}

/** The split entry for a series, or the last-20% fallback derived from its rows and step. */
export function heldoutFor(split: Split | undefined, path: string, rows: number, stepSeconds: number): SplitEntry & { fallback: boolean } {
  const e = split?.entries.get(path)
  if (e !== undefined) return { ...e, fallback: false }
  const periodDaySteps = Math.max(1, Math.round(86400 / stepSeconds))
  return {
    path,
    family: 'unknown',
    rows,
    stepSeconds,
    periodDaySteps,
    periodWeekSteps: 7 * periodDaySteps,
    heldoutStartIndex: Math.floor(rows * (1 - FALLBACK_HELDOUT_FRACTION)),
    // Not in the split: the model was not trained on it.
    unseenStartIndex: 0,
    whollyHeldout: false,
    fallback: true,
  }
}
