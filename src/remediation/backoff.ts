/**
 * Exponential backoff with equal jitter: half the step is fixed, half random, so that controllers refused at
 * the same moment (one PDB, many pods) do not all come back at the same moment.
 */
export function backoffDelayMs(failures: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1))
  return Math.round(step / 2 + (step / 2) * random())
}
