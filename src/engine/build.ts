import type { Logger } from 'pino'
import type { AdapterConfig } from '../config/adapter-config.js'
import { modelFiles } from '../model/files.js'
import type { ModelMeta } from '../model/meta.js'
import { loadModel, openModel, type LoadedModel } from '../model/runtime.js'
import type { Policy } from '../policy/schema.js'
import type { HistoryReader, PodSignalReader } from '../ports.js'
import { Engine } from './engine.js'

// The engine and what it reads through, from validated config. The engine's own thread calls this (the worker,
// or the adapter's main thread with engine.thread: main), so it loads nothing of the API server's wiring, and no
// Kubernetes client: the scale reads of the currentReplicas fallbacks come in as a function (on the worker, one
// that asks the main thread, which has the client).

/**
 * The model and the engine over it; `currentReplicas` reads a scale target's replicas (absent without a cluster).
 * `meta`: the model's metadata as already read and checked (the worker gets it from the main thread, so it loads
 * no zod); without it, it is read here.
 */
export async function buildEngine(cfg: AdapterConfig, log: Logger, currentReplicas?: (p: Policy) => Promise<number | undefined>, meta?: ModelMeta): Promise<{ model: LoadedModel; engine: Engine }> {
  const { onnxPath, metaPath } = modelFiles(cfg.model)
  const model = meta !== undefined ? await openModel(onnxPath, meta) : await loadModel(onnxPath, metaPath)
  const { history, pods } = await historyReaders(cfg, log)
  const engine = new Engine({
    model,
    history,
    log: log.child({ component: 'engine' }),
    refreshIntervalMs: cfg.engine.refreshIntervalMs,
    adaptive: cfg.engine.adaptiveForecast,
    calibrate: cfg.engine.forecastCalibration,
    ...(pods !== undefined ? { pods } : {}),
    ...(currentReplicas !== undefined ? { currentReplicas } : {}),
  })
  return { model, engine }
}

// Each source's modules are loaded only for that source: the Prometheus client brings its HTTP library and zod
// (about 5 MiB of the engine thread's heap, bench:memory), which a replayed trace never uses.
async function historyReaders(cfg: AdapterConfig, log: Logger): Promise<{ history: HistoryReader; pods?: PodSignalReader }> {
  if (cfg.source.kind === 'replay') {
    const { ReplayHistory } = await import('../replay/replay-history.js')
    return { history: ReplayHistory.fromFile(cfg.source.traceFile) }
  }
  const [{ prometheusFromConfig }, { podSignalReader }] = await Promise.all([import('../prometheus/from-config.js'), import('../prometheus/pod-signals.js')])
  const prom = prometheusFromConfig(cfg.source, log)
  return { history: prom, pods: podSignalReader(prom) }
}
