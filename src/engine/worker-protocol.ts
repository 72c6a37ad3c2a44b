import type { AdapterConfig } from '../config/adapter-config.js'
import type { ScaledWorkload } from '../kube/scale.js'
import type { ModelMeta } from '../model/meta.js'
import type { Policy } from '../policy/schema.js'
import type { CommittedResult } from './result-cache.js'
import type { RefreshTimings } from './types.js'

/** What the engine worker is started with: the validated config, as the adapter's main thread has it. */
export interface EngineWorkerData {
  cfg: AdapterConfig
  /** The main thread answers scale reads (it has the Kubernetes client; the worker does not load one). */
  scaleReads: boolean
  /**
   * The model's metadata, read and checked by the main thread, which has zod loaded for its configuration anyway:
   * the worker then loads no zod (about 3.5 MiB of its heap, bench:memory).
   */
  modelMeta: ModelMeta
}

/**
 * Main thread -> worker. Policies travel as changes against what the worker already has (most refreshes change
 * none), so 10,000 of them are not copied every refresh.
 */
export type ToEngineWorker =
  | { type: 'refresh'; id: number; upserts: Policy[]; removals: string[] }
  /** The main thread has taken in the last chunk of results: send the next one (or say the refresh is done). */
  | { type: 'more'; id: number }
  /** The answer to a scale read: the target's current replicas, absent when unreadable. */
  | { type: 'scale-answer'; scaleId: number; replicas?: number }

/**
 * Worker -> main thread. Results come in chunks, each asked for once the previous one is taken in: a port hands
 * every queued message over in one go, so chunks sent at once would hold the main thread as long as one message.
 */
export type FromEngineWorker =
  | { type: 'ready' }
  | { type: 'start-failed'; message: string }
  | { type: 'results'; id: number; entries: Array<[string, CommittedResult]> }
  /**
   * `metrics`: every policy's series in the Prometheus text format (UTF-8), rendered here so a scrape does not, and
   * transferred rather than copied: 5 MB at 10,000 policies would otherwise land in the main thread's heap as a new
   * string every refresh (bench:memory).
   */
  | { type: 'refreshed'; id: number; timings: RefreshTimings; metrics: Uint8Array }
  | { type: 'refresh-failed'; id: number; message: string }
  /** A currentReplicas fallback needs the scale target's live replica count. */
  | { type: 'scale'; scaleId: number; workload: ScaledWorkload }

/** Results per message: deserialising one chunk is a short hold of the main thread. */
export const RESULTS_PER_MESSAGE = 250
