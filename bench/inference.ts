/**
 * onnxruntime-node latency and throughput of the forecaster: one window at a time (p50/p99) and one batch of
 * 10,000 windows, on real NASA windows, plus peak RSS. Run: npm run build:bench && node dist-bench/bench/inference.js
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resourceUsage } from 'node:process'
import { packWindow } from '../src/forecast/windows.js'
import { fmt, formatTable } from '../src/forecast/table.js'
import { loadNasa } from './lib/traces.js'
import { allocateBatch, createForecasterSession, runForecastBatch, type ForecastBatch } from '../src/model/onnx.js'
import { defaultModelPath, modelSha256 } from './lib/model-files.js'
import { loadModel } from '../src/model/runtime.js'
import { stallMeter } from './stall.js'

const SINGLE_RUNS = 200
const WARMUP_RUNS = 20
const BIG_BATCH = 10_000
const BIG_BATCH_REPEATS = 5

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

/** Fills `batch` with consecutive valid NASA windows starting after the outage, so inputs are realistic. */
function fillFromNasa(batch: ForecastBatch): void {
  const nasa = loadNasa()
  let slot = 0
  for (let t = 76_000; slot < batch.capacity; t++) {
    const origin = 76_000 + ((t - 76_000) % (nasa.values.length - 76_000))
    if (packWindow(nasa.values, origin, 1440, 10080, batch, slot)) slot++
  }
}

async function main(): Promise<void> {
  const modelPath = defaultModelPath()
  if (!existsSync(modelPath)) throw new Error(`model artifact missing: ${modelPath}`)
  const loadStart = performance.now()
  const session = await createForecasterSession(modelPath)
  const loadMs = performance.now() - loadStart

  const big = allocateBatch(BIG_BATCH)
  fillFromNasa(big)
  const one = allocateBatch(1)

  /** Latency of one window at a time, over real windows taken in turn from the big batch. */
  const singleLatencies = async (sess: typeof session): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < WARMUP_RUNS + SINGLE_RUNS; i++) {
      one.recent.set(big.recent.subarray(i * 60, (i + 1) * 60))
      one.seasonal.set(big.seasonal.subarray(i * 180, (i + 1) * 180))
      one.seasonalMask.set(big.seasonalMask.subarray(i * 2, (i + 1) * 2))
      const t0 = performance.now()
      await runForecastBatch(sess, one, 1)
      if (i >= WARMUP_RUNS) out.push(performance.now() - t0)
    }
    return out.sort((a, b) => a - b)
  }
  const single = await singleLatencies(session)
  // Shows whether the intra-op thread pool (wake-ups, spinning) is behind the single-window tail latency.
  const singleThreaded = await singleLatencies(await createForecasterSession(modelPath, { intraOpNumThreads: 1 }))

  await runForecastBatch(session, big) // warm-up at the big shape
  const batchMs: number[] = []
  for (let i = 0; i < BIG_BATCH_REPEATS; i++) {
    const t0 = performance.now()
    await runForecastBatch(session, big)
    batchMs.push(performance.now() - t0)
  }
  batchMs.sort((a, b) => a - b)
  const medianBatch = percentile(batchMs, 0.5)

  // onnxruntime-node runs synchronously on the event loop; the adapter (src/model/runtime.ts) runs a big batch in
  // slices with turns between. How long each way holds the loop at most, and takes in all.
  const served = await loadModel(modelPath, modelPath.replace(/\.onnx$/, '.json'))
  const holds = async (run: () => Promise<unknown>): Promise<{ holdMs: number; totalMs: number }> => {
    const meter = stallMeter()
    const t0 = performance.now()
    await run()
    const totalMs = performance.now() - t0
    return { holdMs: meter.stop(), totalMs }
  }
  const whole: Array<{ holdMs: number; totalMs: number }> = []
  const sliced: Array<{ holdMs: number; totalMs: number }> = []
  for (let i = 0; i < BIG_BATCH_REPEATS; i++) {
    whole.push(await holds(() => runForecastBatch(session, big)))
    sliced.push(await holds(() => served.forecast(big, BIG_BATCH)))
  }
  await served.close()
  const range = (xs: number[]): string => `${fmt(Math.min(...xs), 1)}-${fmt(Math.max(...xs), 1)}`
  const peakRssMiB = resourceUsage().maxRSS / 1024

  console.log(`Inference bench: ${modelPath} (sha256 ${modelSha256(modelPath)})`)
  console.log(`onnxruntime-node, CPU, ${availableParallelism()} logical CPUs, default session threads; inputs are real NASA windows`)
  console.log(`session load: ${fmt(loadMs, 1)} ms\n`)
  console.log(
    formatTable(
      ['case', 'runs', 'p50 ms', 'p99 ms', 'min ms', 'max ms', 'windows/s'],
      [
        ['1 window', String(SINGLE_RUNS), fmt(percentile(single, 0.5)), fmt(percentile(single, 0.99)), fmt(single[0] ?? NaN), fmt(single[single.length - 1] ?? NaN), fmt(1000 / percentile(single, 0.5), 0)],
        ['1 window, 1 thread', String(SINGLE_RUNS), fmt(percentile(singleThreaded, 0.5)), fmt(percentile(singleThreaded, 0.99)), fmt(singleThreaded[0] ?? NaN), fmt(singleThreaded[singleThreaded.length - 1] ?? NaN), fmt(1000 / percentile(singleThreaded, 0.5), 0)],
        [`batch of ${BIG_BATCH}`, String(BIG_BATCH_REPEATS), fmt(medianBatch, 1), fmt(batchMs[batchMs.length - 1] ?? NaN, 1), fmt(batchMs[0] ?? NaN, 1), fmt(batchMs[batchMs.length - 1] ?? NaN, 1), fmt((BIG_BATCH * 1000) / medianBatch, 0)],
      ],
    ),
  )
  console.log(`\n(batch p99 column = slowest of ${BIG_BATCH_REPEATS} runs)`)
  console.log(`event loop held by a batch of ${BIG_BATCH} (${BIG_BATCH_REPEATS} runs each): one run ${range(whole.map((w) => w.holdMs))} ms (total ${range(whole.map((w) => w.totalMs))} ms); as the adapter runs it, in slices: ${range(sliced.map((w) => w.holdMs))} ms (total ${range(sliced.map((w) => w.totalMs))} ms)`)
  console.log(`peak RSS: ${fmt(peakRssMiB, 1)} MiB (whole process, including the NASA trace loaded to build inputs)`)
}

await main()
