import { readFileSync, writeFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { parsePolicyFile, PolicyFileError } from '../policy/file-source.js'
import { policyKey, type Policy } from '../policy/schema.js'
import { runBacktest, type BacktestProgress } from '../sim/backtest-run.js'
import { backtestCsv, backtestJson, type OutputFormat } from './backtest-output.js'
import { prometheusFromFlags, storeFromFlags, type StoreFlags } from './store-flags.js'

export class BacktestCliError extends Error {
  override name = 'BacktestCliError'
}

const UNITS: Readonly<Record<string, number>> = { m: 60, h: 3600, d: 86_400, w: 604_800 }

/** "7d", "36h", "90m", "2w" -> seconds. */
export function parseDurationSeconds(text: string): number {
  const m = /^(\d+)(m|h|d|w)$/.exec(text.trim())
  if (m === null) throw new BacktestCliError(`invalid --since "${text}": use a number and a unit, such as 90m, 36h, 7d or 2w`)
  return Number(m[1]) * (UNITS[m[2] ?? 'd'] ?? 86_400)
}

/** The one policy of a file, or the one named; a precise error otherwise. */
export function policyFromFile(file: string, name: string | undefined): Policy {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new BacktestCliError(`unable to read policy ${file}: file not found or unreadable`)
  }
  let parsed: ReturnType<typeof parsePolicyFile>
  try {
    parsed = parsePolicyFile(text)
  } catch (err) {
    throw new BacktestCliError(`invalid policy ${file}: ${err instanceof PolicyFileError ? err.message : String(err)}`)
  }
  const problems = [...parsed.invalid].map(([k, why]) => `${k}: ${why}`)
  // --name web, or namespace/web when two namespaces both have a web.
  const candidates = [...parsed.valid.values()].filter((p) => name === undefined || p.metadata.name === name || policyKey(p) === name)
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0]
  if (candidates.length === 0) {
    const why = problems.length > 0 ? `: ${problems.join('; ')}` : name !== undefined ? `: no policy named ${name}` : ': it holds no ForesightPolicy'
    throw new BacktestCliError(`invalid policy ${file}${why}`)
  }
  throw new BacktestCliError(`policy ${file} holds ${candidates.length} policies${name !== undefined ? ` named ${name}` : ''}: choose one with --name ${name !== undefined ? '<namespace>/<name>' : '<name> or <namespace>/<name>'} (${candidates.map(policyKey).join(', ')})`)
}

interface BacktestCliOptions extends StoreFlags {
  policy: string
  name?: string
  since: string
  chart: string
  output?: OutputFormat
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, one line per phase otherwise). */
function progress(stream: NodeJS.WriteStream): (p: BacktestProgress) => void {
  let lastPhase = ''
  return (p) => {
    const width = 30
    const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : width
    // A percentage: some phases count milliseconds of history, which read as nonsense ("15000/172800000").
    const percent = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100
    const bar = `${p.phase.padEnd(8)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(percent).padStart(3)}%`
    if (stream.isTTY) stream.write(`\r${bar}${p.done === p.total ? '\n' : ''}`)
    else if (p.phase !== lastPhase || p.done === p.total) stream.write(`${bar}\n`)
    lastPhase = p.phase
  }
}

export async function backtestCommand(o: BacktestCliOptions, log: Logger): Promise<string> {
  const store = storeFromFlags(o)
  const policy = policyFromFile(o.policy, o.name)
  const sinceSeconds = parseDurationSeconds(o.since)
  const { source, client } = prometheusFromFlags(store, log)
  try {
    const result = await runBacktest({ history: source, policy, sinceSeconds, onProgress: progress(process.stderr) })
    writeFileSync(o.chart, result.svg)
    const dayChart = o.chart.replace(/(\.svg)?$/, '-day.svg')
    writeFileSync(dayChart, result.daySvg)
    const frontierChart = o.chart.replace(/(\.svg)?$/, '-frontier.svg')
    writeFileSync(frontierChart, result.frontierSvg)
    if (o.output === 'json') return backtestJson({ policy: policyKey(policy), period: result.period, runs: result.runs, warnings: result.warnings, charts: [o.chart, dayChart, frontierChart], frontier: result.frontier })
    // Warnings go to stderr here, so stdout stays one table a spreadsheet or a script reads as it is.
    if (o.output === 'csv') {
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`)
      return backtestCsv(result.runs)
    }
    const warnings = result.warnings.map((w) => `warning: ${w}\n`).join('')
    return `${warnings}${result.table}\ncharts: ${o.chart}, ${dayChart}, ${frontierChart}\n`
  } finally {
    client.close()
  }
}
