import { setImmediate as nextTurn } from 'node:timers/promises'

// API requests share the event loop with the refresh. Its per-policy loops (engine, gauges) give the loop a turn
// this often, so 10,000 policies do not hold every request for the whole computation.
const POLICIES_PER_TURN = 50

/** Before the `i`-th policy of a loop: lets queued I/O (API requests) run every POLICIES_PER_TURN policies. */
export async function turnBefore(i: number): Promise<void> {
  if (i > 0 && i % POLICIES_PER_TURN === 0) await nextTurn()
}
