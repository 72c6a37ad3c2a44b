import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { AdapterConfig } from '../config/adapter-config.js'
import { scaleReader } from '../kube/scale.js'
import { bundledModel } from '../model/onnx.js'
import { loadModel, type LoadedModel } from '../model/runtime.js'
import type { HistoryReader, PodSignalReader } from '../ports.js'
import { prometheusFromConfig } from '../prometheus/from-config.js'
import { podSignalReader } from '../prometheus/pod-signals.js'
import { ReplayHistory } from '../replay/replay-history.js'
import { Engine } from './engine.js'

// The engine and what it reads through, from validated config. The engine's own thread calls this (the worker,
// or the adapter's main thread with engine.thread: main), so it loads nothing of the API server's wiring.

/** The model and the engine over it. */
export async function buildEngine(cfg: AdapterConfig, log: Logger, kc: KubeConfig | undefined): Promise<{ model: LoadedModel; engine: Engine }> {
  const bundled = bundledModel()
  const model = await loadModel(cfg.model.file ?? bundled.onnxPath, cfg.model.metadataFile ?? bundled.metaPath)
  const { history, pods } = historyReaders(cfg, log)
  const currentReplicas = kc !== undefined ? scaleReader(kc, cfg.auth.authorization.timeoutMs) : undefined
  const engine = new Engine({
    model,
    history,
    log: log.child({ component: 'engine' }),
    refreshIntervalMs: cfg.engine.refreshIntervalMs,
    ...(pods !== undefined ? { pods } : {}),
    ...(currentReplicas !== undefined ? { currentReplicas } : {}),
  })
  return { model, engine }
}

function historyReaders(cfg: AdapterConfig, log: Logger): { history: HistoryReader; pods?: PodSignalReader } {
  if (cfg.source.kind === 'replay') return { history: ReplayHistory.fromFile(cfg.source.traceFile) }
  const prom = prometheusFromConfig(cfg.source, log)
  return { history: prom, pods: podSignalReader(prom) }
}
