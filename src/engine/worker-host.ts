import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { PolicyGauges } from './gauges.js'
import type { AdapterConfig } from '../config/adapter-config.js'
import type { ScaledWorkload } from '../kube/scale.js'
import { modelFiles } from '../model/files.js'
import { readModelMeta } from '../model/meta.js'
import { ResultCache } from './result-cache.js'
import type { PolicyResult, RefreshTimings, ServingEngine } from './types.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { EngineWorkerData, FromEngineWorker, ToEngineWorker } from './worker-protocol.js'

/** The worker thread, from the compiled package or, in development, from the TypeScript sources. */
function startWorker(workerData: EngineWorkerData): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(new URL('./worker.js', import.meta.url), { workerData })
  // Sources run under tsx (the CLI in development, the e2e tests) or tap's loader. tsx's hooks do not reach worker
  // threads through --import, so the worker registers them itself before it loads its TypeScript entry.
  const entry = new URL('./worker.ts', import.meta.url).href
  const tsx = import.meta.resolve('tsx/esm/api')
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`, { eval: true, workerData })
}

/**
 * What a new engine worker starts with. The model's metadata is read and checked here for each new worker, as a
 * worker reading it itself would (a bad file fails that start with the same ModelLoadError message).
 */
export function engineWorkerData(cfg: AdapterConfig, scaleReads: boolean): EngineWorkerData {
  const { onnxPath, metaPath } = modelFiles(cfg.model)
  return { cfg, scaleReads, modelMeta: readModelMeta(onnxPath, metaPath) }
}

/** Resolves once the worker is ready (undefined) or with why it could not start. */
async function startFailure(worker: Worker): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (why: string | undefined): void => {
      // Only these listeners: removeAllListeners() would also take Node's own, which keep the port delivering.
      worker.off('message', onMessage).off('error', onError).off('exit', onExit)
      resolve(why)
    }
    const onMessage = (m: FromEngineWorker): void => {
      if (m.type === 'ready') done(undefined)
      else if (m.type === 'start-failed') done(m.message)
    }
    const onError = (err: Error): void => done(`unable to start the engine worker: ${err.message}`)
    const onExit = (code: number): void => done(`unable to start the engine worker: it exited with code ${code}`)
    worker.on('message', onMessage).on('error', onError).on('exit', onExit)
  })
}

interface Pending {
  id: number
  resolve: (r: { timings: RefreshTimings }) => void
  reject: (err: Error) => void
}

/**
 * The engine on a worker thread, seen from the main thread: refresh() runs a refresh there, and the results it
 * sends back are served from a cache here, through the same staleness backstop as the in-thread engine. If the
 * worker dies, the refresh in progress fails, the results age into the backstop, and the next refresh starts a
 * new worker (its anomaly scorers and damping start afresh).
 */
export class EngineHost implements ServingEngine {
  private worker: Worker | undefined
  private pending: Pending | undefined
  private nextId = 1
  private closed = false
  /** What the current worker has, by key: a refresh sends only what changed (by identity) since. */
  private sent = new Map<string, Policy>()
  private readonly results: ResultCache
  /** The worker's rendering of every policy's series after the last refresh (UTF-8); undefined after a failed one. */
  private policySeries: Uint8Array | undefined
  /** After a failed refresh the series show what the API serves (the backstop's view), set on this thread. */
  private readonly fallbackRegistry = new Registry()
  private readonly fallbackGauges = new PolicyGauges(this.fallbackRegistry)

  private constructor(private readonly cfg: AdapterConfig, private readonly log: Logger, private readonly readScale?: (w: ScaledWorkload) => Promise<number | undefined>) {
    this.results = new ResultCache({ log, now: Date.now, refreshIntervalMs: cfg.engine.refreshIntervalMs })
  }

  /**
   * Starts the worker and resolves once its model is loaded; rejects with the worker's own start-up error.
   * `readScale` answers the worker's scale reads (the currentReplicas fallbacks); without it there are none.
   */
  static async start(cfg: AdapterConfig, log: Logger, readScale?: (w: ScaledWorkload) => Promise<number | undefined>): Promise<EngineHost> {
    const host = new EngineHost(cfg, log, readScale)
    await host.spawn()
    return host
  }

  private async spawn(): Promise<Worker> {
    const worker = startWorker(engineWorkerData(this.cfg, this.readScale !== undefined))
    this.sent = new Map()
    const failure = await startFailure(worker)
    if (failure !== undefined) {
      await worker.terminate()
      throw new Error(failure)
    }
    worker.on('message', (m: FromEngineWorker) => this.onMessage(m))
    worker.on('error', (err: Error) => this.lost(worker, `the engine worker failed: ${err.message}`))
    worker.on('exit', (code) => this.lost(worker, `the engine worker exited with code ${code}`))
    // Only a refresh in progress keeps the process alive: a worker left over from a start-up that failed later,
    // or an idle one at shutdown, must not.
    worker.unref()
    this.worker = worker
    return worker
  }

  private onMessage(m: FromEngineWorker): void {
    if (m.type === 'scale') return this.answerScale(m.scaleId, m.workload)
    const p = this.pending
    if (p === undefined || !('id' in m) || m.id !== p.id) return
    if (m.type === 'results') {
      for (const [key, c] of m.entries) this.results.put(key, c)
      // Asked for after a turn of the event loop, so API requests that came in meanwhile go first.
      const worker = this.worker
      setImmediate(() => { worker?.postMessage({ type: 'more', id: m.id } satisfies ToEngineWorker) })
    } else if (m.type === 'refreshed') {
      this.pending = undefined
      this.policySeries = m.metrics
      p.resolve({ timings: m.timings })
    } else if (m.type === 'refresh-failed') {
      this.pending = undefined
      p.reject(new Error(m.message))
    }
  }

  private answerScale(scaleId: number, workload: ScaledWorkload): void {
    const worker = this.worker
    const answer = (replicas: number | undefined): void => {
      worker?.postMessage({ type: 'scale-answer', scaleId, ...(replicas !== undefined ? { replicas } : {}) } satisfies ToEngineWorker)
    }
    const read = this.readScale
    if (read === undefined) return answer(undefined)
    read(workload).then(answer, () => answer(undefined))
  }

  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return
    this.worker = undefined
    if (this.closed) return
    this.log.error({ reason: why }, 'engine worker lost: the next refresh starts a new one')
    const p = this.pending
    this.pending = undefined
    p?.reject(new Error(why))
  }

  async refresh(policies: readonly Policy[]): Promise<{ timings: RefreshTimings }> {
    if (this.closed) throw new Error('the engine is closed')
    if (this.pending !== undefined) throw new Error('a refresh is already running')
    const worker = this.worker ?? await this.spawn()
    const current = new Map(policies.map((p) => [policyKey(p), p]))
    const upserts = policies.filter((p) => this.sent.get(policyKey(p)) !== p)
    const removals = [...this.sent.keys()].filter((k) => !current.has(k))
    const id = this.nextId++
    const done = new Promise<{ timings: RefreshTimings }>((resolve, reject) => { this.pending = { id, resolve, reject } })
    const message: ToEngineWorker = { type: 'refresh', id, upserts, removals }
    worker.postMessage(message)
    this.sent = current
    worker.ref()
    try {
      const out = await done
      this.results.retain(new Set(current.keys()))
      return out
    } catch (err) {
      this.policySeries = undefined
      throw err
    } finally {
      worker.unref()
    }
  }

  result(key: string): PolicyResult | undefined {
    return this.results.result(key)
  }

  allResults(namespace?: string): IterableIterator<PolicyResult> {
    return this.results.allResults(namespace)
  }

  resultsNamed(namespace: string, names: Iterable<string>): IterableIterator<PolicyResult> {
    return this.results.resultsNamed(namespace, names)
  }

  /**
   * For the refresh loop: the series after a refresh. The worker has set them after a good one; after a failed
   * one they are set here from what the API serves (last good value, fallback or nothing, as the backstop decides).
   */
  gauges(): Pick<PolicyGauges, 'publish'> {
    return {
      publish: async (results) => {
        if (this.policySeries === undefined) await this.fallbackGauges.publish(results)
      },
    }
  }

  /** Every policy's series for /metrics, in the Prometheus text format (as the worker's UTF-8 bytes after a good refresh). */
  async policyMetrics(): Promise<string | Uint8Array> {
    return this.policySeries ?? await this.fallbackRegistry.metrics()
  }

  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    this.worker = undefined
    this.pending?.reject(new Error('the engine is closed'))
    this.pending = undefined
    await worker?.terminate()
  }
}
