import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { coerce, configLeaves, envName, type ConfigLeaf } from './leaves.js'
import { deepFreeze } from '../util/freeze.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

interface ConfigSources {
  /** YAML or JSON file; lowest precedence after the defaults. */
  file?: string
  /** Defaults to process.env: this module is the only reader of the environment. */
  env?: NodeJS.ProcessEnv
  /** `path.to.key=value` pairs from the command line; highest precedence. */
  set?: readonly string[]
}

/**
 * Merges defaults < file < FORESIGHT_* environment < --set flags, validates once, and freezes the result so
 * no component can change configuration behind the others' backs.
 */
export function loadConfig<S extends z.ZodType>(schema: S, sources: ConfigSources = {}): Readonly<z.output<S>> {
  const leaves = configLeaves(schema)
  const merged: Record<string, unknown> = sources.file !== undefined ? readConfigFile(sources.file) : {}
  const env = sources.env ?? process.env
  for (const leaf of leaves) {
    const raw = env[envName(leaf.path)]
    if (raw !== undefined) setPath(merged, leaf.path, coerce(leaf, raw))
  }
  const setProblems = (sources.set ?? []).map((pair) => applySet(merged, leaves, pair)).filter((p) => p !== undefined)
  if (setProblems.length > 0) throw configError(setProblems)

  const result = schema.safeParse(merged, { error: plainTypeError })
  if (!result.success) throw configError(result.error.issues.map(describeIssue))
  return deepFreeze(result.data)
}

/**
 * Every problem at once (fixing them one start-up at a time is slow), one per line when there are several: some
 * messages hold a ";" of their own. Rules that compare settings run only once each setting is valid on its own.
 */
function configError(problems: readonly string[]): ConfigError {
  const unique = [...new Set(problems)]
  if (unique.length <= 1) return new ConfigError(`unable to load config: ${unique[0] ?? 'invalid'}`)
  return new ConfigError(`unable to load config: ${unique.length} problems\n${unique.map((p) => `  - ${p}`).join('\n')}`)
}

/**
 * FORESIGHT_* variables that name no setting of `schema`. They are ignored, so a misspelt one
 * (FORESIGHT_LEADERELECTION__ENABLED for FORESIGHT_LEADER_ELECTION__ENABLED) would otherwise go unnoticed. Not an
 * error: scripts around the CLI keep variables of their own under the same prefix.
 */
export function ignoredEnvNames(schema: z.ZodType, env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set(configLeaves(schema).map((l) => envName(l.path)))
  return Object.keys(env).filter((name) => name.startsWith('FORESIGHT_') && !known.has(name)).sort()
}

/**
 * Type errors in the words of the setting: "required" for a missing one (also one that only another setting makes
 * necessary, such as source.url with source.kind prometheus), and the value given where it is not a number or a
 * boolean (flags and the environment deliver strings). Other issues keep zod's message.
 */
function plainTypeError(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined
  if (issue.input === undefined) return 'required'
  const expected = String(issue.expected)
  if (typeof issue.input === 'string' && ['number', 'int', 'boolean'].includes(expected)) {
    const given = issue.input.length > 40 ? `${issue.input.slice(0, 40)}...` : issue.input
    return `expected ${expected === 'boolean' ? 'true or false' : expected === 'int' ? 'a whole number' : 'a number'}, got "${given}"`
  }
  if (expected === 'int' && typeof issue.input === 'number') return `expected a whole number, got ${issue.input}`
  // A mapping such as source.headers; the value given is not echoed, it may hold a secret.
  if (expected === 'record') return `expected a mapping of names to values (JSON in the environment or --set, such as {"X-Scope-OrgID":"team-a"}), got ${Array.isArray(issue.input) ? 'a list' : typeof issue.input === 'string' ? 'text that is not a JSON object' : typeof issue.input}`
  return undefined
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where === '' ? k : `${where}.${k}`))
    return `${keys.join(', ')}: unknown key`
  }
  return `${where === '' ? '(root)' : where}: ${issue.message}`
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new ConfigError(`unable to load config: ${file}: file not found or unreadable`)
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    // The parser's first line ends in "line 2, column 1:" before its excerpt; the colon would dangle.
    throw new ConfigError(`unable to load config: ${file}: not valid YAML or JSON (${((err as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '')})`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`unable to load config: ${file}: the top level must be a mapping`)
  return doc as Record<string, unknown>
}

/** Applies one `key=value`; returns what is wrong with it instead, if anything. */
function applySet(target: Record<string, unknown>, leaves: ConfigLeaf[], pair: string): string | undefined {
  const eq = pair.indexOf('=')
  if (eq <= 0) return `--set ${pair}: expected key=value`
  const key = pair.slice(0, eq)
  const leaf = leaves.find((l) => l.path.join('.') === key)
  if (leaf === undefined) {
    const inGroup = leaves.find((l) => l.path.join('.').startsWith(`${key}.`))
    if (inGroup !== undefined) return `${key}: a group of settings, not one (set its keys, e.g. ${inGroup.path.join('.')}=...)`
    return `${key}: unknown key`
  }
  setPath(target, leaf.path, coerce(leaf, pair.slice(eq + 1)))
  return undefined
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  const last = path[path.length - 1]
  if (last !== undefined) node[last] = value
}

