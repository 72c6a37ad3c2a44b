import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void

/** 'compact': V8's memory-reducing collection; 'full': one plain full collection (no forced compaction). */
export type CollectionKind = 'compact' | 'full'

/**
 * A full collection of the calling thread's heap, for the engine's worker after a refresh (engine.collectAfterRefresh).
 * A refresh of many policies leaves its garbage (Prometheus answers, windows, results already sent) in the old
 * generation, which V8 collects only once that grows past a limit set from the live size: at 10,000 policies the
 * worker's heap stood at 160-210 MiB with about 90 MiB live, plus the native memory those pages and buffers
 * pinned (bench:memory). 'compact' is V8's memory-reducing ("last-resort") collection, which also compacts the
 * pages the garbage leaves half empty and hands them back (a plain full collection, 'full', left 35 MiB of them).
 * It runs on the worker, but its parallel phases run on V8's helper threads, which the whole process shares: on
 * two cores that takes CPU from the API's thread for the length of the collection (docs/benchmarks.md, Memory).
 *
 * Node gives `gc` only with --expose-gc; this takes it for this thread without making it a process flag: the flag
 * is set while one new context is made (its global `gc` collects this thread's heap), then cleared again.
 * Undefined when the runtime refuses, in which case V8 collects on its own schedule as before.
 */
export function fullCollection(kind: CollectionKind = 'compact'): (() => void) | undefined {
  let gc: unknown = globalThis.gc
  if (typeof gc !== 'function') {
    try {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc')
    } catch {
      return undefined
    } finally {
      setFlagsFromString('--no-expose-gc')
    }
  }
  if (typeof gc !== 'function') return undefined
  const collect = gc as Collect
  const flavor = kind === 'compact' ? 'last-resort' : 'regular'
  return () => collect({ type: 'major', execution: 'sync', flavor })
}
