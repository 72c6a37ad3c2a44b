/**
 * Bytes of anomaly-scorer state per policy (the engine keeps one OnlineAnomalyScorer per policy): the served
 * DEFAULT_SCORER and the same with the contextual novelty as served before (paths of 4 levels at 4-12 levels, exact
 * bitmaps). Each scorer is fed 1,000 rows of a wave with a forecast, so its rings and block sums hold what a running
 * policy's do. Run: npm run build:bench && node --expose-gc dist-bench/bench/scorer-memory.js
 */
import { MultiResolutionContext } from '../src/anomaly/context-novelty.js'
import { DEFAULT_SCORER, OnlineAnomalyScorer, type ScorerOptions } from '../src/anomaly/scorer.js'

const POLICIES = Number(process.env.BENCH_POLICIES ?? '5000')
const ROWS = 1000
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const collect = gc

const used = (): number => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers + (process.env.SPLIT === "1" ? 0 : 0)
}

/** Every setting's scorers stay alive to the end: buffers freed by one measurement would be released during the next. */
const kept: OnlineAnomalyScorer[][] = []

/** Two full collections with a pause between: array buffers are swept off the main thread, so their count lags. */
async function settle(): Promise<number> {
  collect()
  await new Promise((resolve) => setTimeout(resolve, 200))
  collect()
  return used()
}

async function perScorer(opts: ScorerOptions, count = POLICIES): Promise<number> {
  const before = await settle()
  const scorers = Array.from({ length: count }, () => new OnlineAnomalyScorer(opts))
  kept.push(scorers)
  scorers.forEach((s, i) => {
    for (let t = 0; t < ROWS; t++) {
      const v = 100 + 30 * Math.sin((t + i * 7) / 90) + ((t * 7919 + i * 104729) % 97) / 10
      s.score(v)
      s.expect(v - 8, v, v + 8)
    }
  })
  return ((await settle()) - before) / count
}

const previous: ScorerOptions = { ...DEFAULT_SCORER, context: { bins: [4, 6, 8, 12], order: 3, gapSteps: 1000 } }
const contextBytes = (opts: ScorerOptions): number => (opts.context === undefined ? 0 : new MultiResolutionContext(opts.context, 0).bytes)
const noContext: ScorerOptions = { ...DEFAULT_SCORER, context: undefined }
console.log(`bench:scorer-memory  ${new Date().toISOString()}  node ${process.version}  ${POLICIES} scorers of ${ROWS} rows each, heap and array buffers after GC`)
// A first, small round takes the one-time costs (compiled code, the allocator's first pages) out of the figures.
await perScorer(DEFAULT_SCORER, 200)
for (const [label, opts] of [['served (DEFAULT_SCORER)', DEFAULT_SCORER], ['context as served before (paths of 4, 4-12 levels, exact)', previous], ['without the contextual novelty', noContext]] as const) {
  console.log(`${label}: ${(await perScorer(opts)).toFixed(0)} bytes per scorer measured; context sets ${contextBytes(opts)} bytes`)
}
console.log(`(${kept.length} settings measured)`)
