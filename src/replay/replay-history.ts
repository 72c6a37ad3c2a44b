import { join } from 'node:path'
import type { HistoryReader, WindowResult } from '../ports.js'
import type { Policy } from '../policy/schema.js'
import { policyKey } from '../policy/key.js'
import { packageRoot } from '../util/paths.js'
import { readTrace, type Trace } from './trace.js'

export const bundledTrace = (): string => join(packageRoot(), 'assets/traces/nasa-http-1995-07-per-minute.csv.gz')

/**
 * History for the embedded default: a real per-minute request trace replayed against the wall clock, aligned by
 * time of week (the trace holds whole weeks), as requests per second. Every policy reads the same trace; in a
 * cluster the history comes from Prometheus instead.
 */
export class ReplayHistory implements HistoryReader {
  constructor(private readonly trace: Trace) {}

  static fromFile(file: string | undefined): ReplayHistory {
    return new ReplayHistory(readTrace(file ?? bundledTrace()))
  }

  /** Requests per second at wall-clock time `ms`, NaN where the trace has no data. */
  at(ms: number): number {
    const { stepMs, startMs, values } = this.trace
    const steps = Math.floor((ms - startMs) / stepMs)
    const index = ((steps % values.length) + values.length) % values.length
    return (values[index] ?? NaN) / (stepMs / 1000)
  }

  read(policies: readonly Policy[], range: { startMs: number; endMs: number; stepSeconds: number }): Promise<Map<string, WindowResult>> {
    const stepMs = range.stepSeconds * 1000
    const n = Math.floor((range.endMs - range.startMs) / stepMs) + 1
    const values = new Float64Array(n)
    // A sample stands for the step that ends at its timestamp, as a Prometheus rate over the last step would.
    for (let i = 0; i < n; i++) values[i] = this.at(range.startMs + i * stepMs - stepMs)
    const out = new Map<string, WindowResult>()
    for (const p of policies) out.set(policyKey(p), { ok: true, window: { values: values.slice(), startMs: range.startMs, stepMs } })
    return Promise.resolve(out)
  }
}
