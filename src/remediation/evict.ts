import { CoreV1Api, type KubeConfig, type V1Eviction } from '@kubernetes/client-node'
import { withSignal } from '../kube/client.js'
import { backoffDelayMs } from './backoff.js'

// policy/v1 Eviction rather than a DELETE: the apiserver checks PodDisruptionBudgets and honours the pod's
// termination grace period, so a restart can never take a workload below what its owners said it needs.

type EvictResult =
  | { outcome: 'evicted' }
  | { outcome: 'dry-run' }
  /** The pod no longer exists (or is another pod with the same name now): nothing to do. */
  | { outcome: 'gone'; message: string }
  /** 429: a PodDisruptionBudget refuses it, or the apiserver is rate limiting. Tried again after retryAtMs. */
  | { outcome: 'blocked'; message: string; retryAtMs: number }
  /** 500 (several PDBs select the pod), other statuses (code), or no answer at all (code 0). */
  | { outcome: 'error'; code: number; message: string }

/** The one call an eviction needs; kube-backed by default, replaceable in tests. */
export type EvictCall = (namespace: string, pod: string, body: V1Eviction, signal: AbortSignal) => Promise<void>

export interface EvictorOptions {
  kc?: KubeConfig
  call?: EvictCall
  timeoutMs?: number
  /** First wait after a refusal; doubles per consecutive refusal of the same pod up to maxBackoffMs. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  random?: () => number
  now?: () => number
}

interface EvictRequest {
  namespace: string
  pod: string
  /** When set, the eviction only applies to this exact pod, not a StatefulSet replacement with the same name. */
  uid?: string
  dryRun: boolean
  /** Deadline of this call when shorter than the evictor's (a leader's time left before its renew deadline). */
  timeoutMs?: number
}

function kubeEvictCall(kc: KubeConfig): EvictCall {
  const api = kc.makeApiClient(CoreV1Api)
  return async (namespace, name, body, signal) => {
    await api.createNamespacedPodEviction({ name, namespace, body }, withSignal(signal))
  }
}

interface Backoff { failures: number; retryAtMs: number }

export class Evictor {
  private readonly call: EvictCall
  private readonly timeoutMs: number
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly random: () => number
  private readonly now: () => number
  private readonly backoff = new Map<string, Backoff>()

  constructor(opts: EvictorOptions) {
    if (opts.call === undefined && opts.kc === undefined) throw new Error('Evictor needs a kubeconfig or a call')
    this.call = opts.call ?? kubeEvictCall(opts.kc as KubeConfig)
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.initialMs = opts.initialBackoffMs ?? 10_000
    this.maxMs = opts.maxBackoffMs ?? 600_000
    this.random = opts.random ?? Math.random
    this.now = opts.now ?? Date.now
  }

  /** Pods of a namespace whose last eviction was refused, with the time before which they are not tried again. */
  blockedUntil(namespace: string): Map<string, number> {
    const out = new Map<string, number>()
    const now = this.now()
    for (const [key, b] of this.backoff) {
      const slash = key.indexOf('/')
      if (key.slice(0, slash) !== namespace) continue
      // Entries long past their retry time are forgotten so the map does not grow with every pod ever refused.
      if (b.retryAtMs + this.maxMs < now) this.backoff.delete(key)
      else out.set(key.slice(slash + 1), b.retryAtMs)
    }
    return out
  }

  async evict(req: EvictRequest): Promise<EvictResult> {
    if (req.dryRun) return { outcome: 'dry-run' }
    const key = `${req.namespace}/${req.pod}`
    const body: V1Eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: req.pod, namespace: req.namespace },
      ...(req.uid !== undefined ? { deleteOptions: { preconditions: { uid: req.uid } } } : {}),
    }
    try {
      await this.call(req.namespace, req.pod, body, AbortSignal.timeout(Math.max(1, Math.min(this.timeoutMs, req.timeoutMs ?? Infinity))))
      this.backoff.delete(key)
      return { outcome: 'evicted' }
    } catch (err) {
      const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0
      const message = statusMessage(err)
      if (code === 404 || code === 409) {
        // 409: the uid precondition failed, so the pod we judged is gone already.
        this.backoff.delete(key)
        return { outcome: 'gone', message }
      }
      if (code === 429) {
        const failures = (this.backoff.get(key)?.failures ?? 0) + 1
        const waitMs = Math.max(backoffDelayMs(failures, this.initialMs, this.maxMs, this.random), retryAfterMs(err))
        const retryAtMs = this.now() + waitMs
        this.backoff.set(key, { failures, retryAtMs })
        return { outcome: 'blocked', message, retryAtMs }
      }
      return { outcome: 'error', code, message }
    }
  }
}

function parsedBody(err: unknown): { message?: unknown; details?: { retryAfterSeconds?: unknown } } | undefined {
  const body = (err as { body?: unknown }).body
  if (typeof body === 'object' && body !== null) return body
  if (typeof body !== 'string') return undefined
  try {
    return JSON.parse(body) as { message?: unknown }
  } catch {
    return undefined
  }
}

/** The apiserver's own message (a metav1.Status), else the error's first line. */
function statusMessage(err: unknown): string {
  const m = parsedBody(err)?.message
  if (typeof m === 'string' && m !== '') return m
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error'
}

function retryAfterMs(err: unknown): number {
  const s = parsedBody(err)?.details?.retryAfterSeconds
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? s * 1000 : 0
}
