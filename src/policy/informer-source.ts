import type { Logger } from 'pino'
import { Informer, type KubeObject } from '../kube/informer.js'
import type { KubeClient } from '../kube/rest.js'
import { GROUP, PLURAL, VERSION } from './schema.js'
import { StoreBackedSource } from './store-source.js'
import { parsePolicy } from './validate.js'

export interface InformerSourceOptions {
  kube: KubeClient
  log: Logger
  /** Only this namespace's policies; all namespaces when unset. */
  namespace?: string
  /** First delay after a failure; doubles per consecutive failure up to maxBackoffMs. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** How long start() keeps retrying the first list before it gives up. */
  startTimeoutMs?: number
  listTimeoutMs?: number
  /** Source of jitter; tests pin it. */
  random?: () => number
}

/** Exponential backoff with equal jitter: half the step is fixed, half random, so restarts of many pods spread out. */
export function backoffDelayMs(failures: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1))
  return Math.round(step / 2 + (step / 2) * random())
}

/** A watch that stayed up this long counts as healthy: its drop starts the backoff over. */
const HEALTHY_WATCH_MS = 60_000

/**
 * Cluster mode: ForesightPolicy objects from the apiserver through an informer (list, then watch; a dropped watch
 * resumes, a 410 Gone re-lists). The informer stops for good on any other error, so this restarts it with backoff.
 */
export class InformerPolicySource extends StoreBackedSource {
  private readonly informer: Informer
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly random: () => number
  private attempt: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private connectedAt = 0
  private synced = false
  private closed = false
  private lastError: unknown

  constructor(private readonly opts: InformerSourceOptions) {
    super(opts.log)
    this.initialMs = opts.initialBackoffMs ?? 1_000
    this.maxMs = opts.maxBackoffMs ?? 60_000
    this.random = opts.random ?? Math.random
    const ns = opts.namespace
    const path = ns === undefined ? `/apis/${GROUP}/${VERSION}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(ns)}/${PLURAL}`
    this.informer = new Informer({ client: opts.kube, path, noun: `${PLURAL}.${GROUP}`, listTimeoutMs: opts.listTimeoutMs ?? 30_000 })
    this.informer.on('listed', () => this.listed())
    this.informer.on('add', (obj) => this.apply(obj))
    this.informer.on('update', (obj) => this.apply(obj))
    this.informer.on('delete', (obj) => this.remove(obj))
    this.informer.on('connect', () => { this.connectedAt = Date.now() })
    this.informer.on('error', (err) => this.failed(err))
  }

  ready(): boolean {
    return this.synced
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    await this.informer.stop()
    // A start in flight sets up its watch after its list; let it finish so stop() can abort that watch too.
    await Promise.race([this.attempt?.catch(() => undefined), sleep(2_000, false)])
    await this.informer.stop()
    this.store.clearListeners()
  }

  protected async firstLoad(): Promise<void> {
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 30_000)
    for (;;) {
      this.lastError = undefined
      await this.run()
      if (this.synced) return
      if (this.closed) throw new Error('unable to load policies: source closed')
      const delay = backoffDelayMs(this.failures, this.initialMs, this.maxMs, this.random)
      if (Date.now() + delay > deadline) throw new Error(`unable to load policies: ${describe(this.lastError)}`)
      this.opts.log.warn({ reason: describe(this.lastError), failures: this.failures, delayMs: delay }, 'listing policies failed; retrying')
      // Ref'd on purpose: the caller is awaiting this start, and the deadline bounds it.
      await sleep(delay, true)
    }
  }

  /**
   * One start of the informer. Its failures mostly arrive as 'error' events, but start() itself rejects when the
   * watch cannot even be set up (no current cluster, credentials that cannot be read): that goes through the same
   * failure and retry path, never out as an unhandled rejection (which would end the process).
   */
  private run(): Promise<void> {
    // After close no new list may start: it would be followed by a watch nobody stops.
    if (this.closed) return Promise.resolve()
    const attempt = this.informer.start()
      .catch((err: unknown) => this.failed(err))
      .finally(() => { if (this.attempt === attempt) this.attempt = undefined })
    this.attempt = attempt
    return attempt
  }

  private listed(): void {
    this.failures = 0
    if (!this.synced) {
      this.synced = true
      this.opts.log.info({ namespace: this.opts.namespace ?? '(all)' }, 'policies listed from the cluster')
    }
  }

  private failed(err: unknown): void {
    if (this.closed) return
    this.lastError = err
    if (this.connectedAt > 0 && Date.now() - this.connectedAt > HEALTHY_WATCH_MS) this.failures = 0
    this.failures++
    // Before the first list, firstLoad owns the retries and reports the failure to its caller.
    if (!this.synced) return
    const delayMs = backoffDelayMs(this.failures, this.initialMs, this.maxMs, this.random)
    this.opts.log.warn({ reason: describe(err), failures: this.failures, delayMs }, 'policy watch failed; restarting')
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (!this.closed) void this.run()
    }, delayMs)
    this.retryTimer.unref()
  }

  private apply(obj: KubeObject): void {
    if (this.closed) return
    // Any event proves the watch works again.
    this.failures = 0
    // The schema only: the admission webhook holds cluster policies to its rules when they are written, and a
    // policy stored before a rule was tightened keeps being served (the webhook lets it be relabelled too).
    const result = parsePolicy(obj)
    if (result.ok) {
      this.store.upsert(result.policy)
      return
    }
    const key = objectKey(obj)
    const reason = result.errors.join('; ')
    if (this.store.reject(key, reason)) this.opts.log.warn({ policy: key, reason }, 'invalid ForesightPolicy skipped')
  }

  private remove(obj: KubeObject): void {
    if (this.closed) return
    this.failures = 0
    this.store.remove(objectKey(obj))
  }
}

function objectKey(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? ''}`
}

/** The client's message without its "unable to list ..." prefix: the log line and the start error add their own. */
function describe(err: unknown): string {
  if (err === undefined) return 'unknown error'
  const message = err instanceof Error ? err.message.split('\n')[0] ?? '' : typeof err === 'string' ? err : 'unknown error'
  return `list/watch ${PLURAL}.${GROUP}: ${message.replace(/^unable to (?:list|watch) \S+: /, '')}`
}

function sleep(ms: number, ref: boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    if (!ref) timer.unref()
  })
}
