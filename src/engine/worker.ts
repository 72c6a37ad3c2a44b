// The engine's worker thread: the model, the history reads and every refresh run here, so a refresh of thousands
// of policies never holds the thread that answers API requests. It keeps the engine's state (damping, anomaly
// scorers) and sends each refresh's results back; src/engine/worker-host.ts is the other end.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import type { Engine } from './engine.js'
import { renderPolicySeries } from './series-text.js'
import { fullCollection } from './collect-garbage.js'
import type { CommittedResult } from './result-cache.js'
import type { RefreshTimings } from './types.js'
import type { Policy } from '../policy/schema.js'
import { policyKey } from '../policy/key.js'
import { createLogger } from '../telemetry/logger.js'
import { threadHeapText } from '../telemetry/thread-heap.js'
import { RESULTS_PER_MESSAGE, type EngineWorkerData, type FromEngineWorker, type ToEngineWorker } from './worker-protocol.js'
import { buildEngine } from './build.js'
import { BACKGROUND_NICE, lowerCurrentThreadPriority, lowerV8PlatformPriority } from '../util/thread-priority.js'

if (parentPort === null) throw new Error('engine-worker runs as a worker thread')
const port: MessagePort = parentPort
const { cfg, scaleReads, modelMeta } = workerData as EngineWorkerData
// A thread has its own logger; its lines go to the same stdout as the main thread's, with the same fields.
const log = createLogger(cfg.logLevel).child({ thread: 'engine' })
const post = (m: FromEngineWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer)
// This thread's refreshes and V8's parallel collections (which the collection after each refresh mostly runs on)
// go behind the API thread: on a small node they would otherwise take the CPU while a request waits.
const workerLowered = lowerCurrentThreadPriority()
const v8PlatformThreads = lowerV8PlatformPriority()
log.debug({ nice: BACKGROUND_NICE, worker: workerLowered, v8PlatformThreads }, 'engine threads lowered in priority')

// Scale reads go to the main thread, which has the Kubernetes client: loading one here would cost this thread's
// heap about 27 MiB (bench:memory). Answers come back by id; the host answers every ask, unreadable included.
const scaleAsks = new Map<number, (replicas: number | undefined) => void>()
let nextScaleId = 1
function askScale(p: Policy): Promise<number | undefined> {
  const scaleId = nextScaleId++
  const ref = p.spec.scaleTargetRef
  return new Promise((resolve) => {
    scaleAsks.set(scaleId, resolve)
    post({ type: 'scale', scaleId, workload: { metadata: { namespace: p.metadata.namespace }, spec: { scaleTargetRef: { kind: ref.kind, name: ref.name } } } })
  })
}
port.on('message', (m: ToEngineWorker) => {
  if (m.type !== 'scale-answer') return
  scaleAsks.get(m.scaleId)?.(m.replicas)
  scaleAsks.delete(m.scaleId)
})

async function start(): Promise<Engine | undefined> {
  try {
    return (await buildEngine(cfg, log, scaleReads ? askScale : undefined, modelMeta)).engine
  } catch (err) {
    post({ type: 'start-failed', message: (err as Error).message })
    return undefined
  }
}

const started = await start()
if (started === undefined) {
  // Stay until the host, which has the message, ends this thread: exiting now could overtake the message.
  port.on('message', () => {})
} else {
  post({ type: 'ready' })
  serve(started)
}

function serve(engine: Engine): void {
  const policies = new Map<string, Policy>()
  /** The finished refresh's results not yet sent, and its timings to send after them. */
  let outbox: { id: number; chunks: Array<Array<[string, CommittedResult]>>; timings: RefreshTimings; metrics: Uint8Array<ArrayBuffer> } | undefined
  // The per-policy series are rendered here, straight from the results: at 10,000 policies a scrape renders
  // 5 MB, which would hold the API's thread (bench:gauges). This thread's own heap figures follow them.
  const heapNow = (): string => threadHeapText('foresight_engine_worker')
  const setting = cfg.engine.collectAfterRefresh
  const collect = setting === 'off' ? undefined : fullCollection(setting)

  // Once the results are sent, so they are not held up by it (hundreds of ms at 10,000 policies). This thread's
  // heap figures go out with the next refresh's series, as of this collection: what it keeps between refreshes.
  let heapText: string | undefined
  const collectGarbage = (): void => {
    if (collect === undefined) return
    const t0 = performance.now()
    collect()
    log.debug({ gcMs: Math.round(performance.now() - t0) }, 'collected the refresh\'s garbage')
    heapText = heapNow()
  }

  const sendNext = (): void => {
    const o = outbox
    if (o === undefined) return
    const entries = o.chunks.shift()
    if (entries !== undefined) return post({ type: 'results', id: o.id, entries })
    outbox = undefined
    post({ type: 'refreshed', id: o.id, timings: o.timings, metrics: o.metrics }, [o.metrics.buffer])
    collectGarbage()
  }

  const refresh = async (m: Extract<ToEngineWorker, { type: 'refresh' }>): Promise<void> => {
    for (const key of m.removals) policies.delete(key)
    for (const p of m.upserts) policies.set(policyKey(p), p)
    try {
      const { timings } = await engine.refresh([...policies.values()])
      const committed = engine.takeCommitted()
      const series = await renderPolicySeries(committed.map(([, c]) => c.result))
      const metrics = new TextEncoder().encode(series + '\n' + (heapText ?? heapNow()))
      const chunks = []
      for (let i = 0; i < committed.length; i += RESULTS_PER_MESSAGE) chunks.push(committed.slice(i, i + RESULTS_PER_MESSAGE))
      outbox = { id: m.id, chunks, timings, metrics }
      sendNext()
    } catch (err) {
      // The engine does not reject for one policy's sake; this is a bug, logged here with its stack.
      log.error({ err }, 'refresh failed')
      post({ type: 'refresh-failed', id: m.id, message: 'refresh failed in the engine worker' })
    }
  }

  port.on('message', (m: ToEngineWorker) => {
    if (m.type === 'refresh') void refresh(m)
    else if (m.type === 'more' && m.id === outbox?.id) sendNext()
  })
}
