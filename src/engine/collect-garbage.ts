import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * V8's full collection of the calling thread's heap, for the engine's worker after a refresh. A refresh of many
 * policies leaves its garbage (Prometheus answers, windows, results already sent) in the old generation, which V8
 * collects only once that grows past a limit set from the live size: at 10,000 policies the worker's heap stood at
 * 160-210 MiB with about 90 MiB live, plus the native memory those pages and buffers pinned (bench:memory). The
 * worker serves no request, so a collection there costs no API latency, and the next refresh is 15 s away.
 *
 * Node gives `gc` only with --expose-gc; this takes it for this thread without making it a process flag: the flag
 * is set while one new context is made (its global `gc` is bound to this thread's heap), then cleared again.
 * Undefined when the runtime refuses, in which case V8 collects on its own schedule as before.
 */
export function fullCollection(): (() => void) | undefined {
  const given = globalThis.gc
  if (typeof given === 'function') return () => { given() }
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
}
