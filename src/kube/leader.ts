import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { isNotFound, withSignal } from './client.js'

// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection package: a candidate
// takes the lease once it is free or expired, the leader renews it every retryPeriod, and gives up leading
// when it could not renew for renewDeadline, which is shorter than the lease, so it has stopped acting before
// anyone else may take over. Every write carries the resourceVersion it read: a 409 means someone else won.
//
// Time, not events, decides whether this replica leads: a renewal counts from when its attempt started (the
// write can only have landed after that, and the others count the lease from when they saw it land), and
// isLeader() is true only while less than renewDeadline has passed since then. So a slow answer, or a process
// paused between rounds, can never make it believe it leads after someone else may have taken over.

export interface LeaseRecord {
  holderIdentity: string
  leaseDurationSeconds: number
  acquireTimeMs?: number
  renewTimeMs?: number
  leaseTransitions: number
}

export interface LeaseClient {
  /** The lease and its resourceVersion, or undefined when it does not exist. */
  get(signal: AbortSignal): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined>
  /** Rejects with an error whose `code` is 409 when it exists already. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<void>
  /** Rejects with an error whose `code` is 409 when the lease changed since `resourceVersion`. */
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<void>
}

function toMs(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'string') {
    const ms = Date.parse(v)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

function kubeLeaseClient(kc: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kc.makeApiClient(CoordinationV1Api)
  const body = (r: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      leaseTransitions: r.leaseTransitions,
      // MicroTime: the apiserver rejects the millisecond form a plain Date would be written as.
      ...(r.acquireTimeMs !== undefined ? { acquireTime: new V1MicroTime(r.acquireTimeMs) } : {}),
      ...(r.renewTimeMs !== undefined ? { renewTime: new V1MicroTime(r.renewTimeMs) } : {}),
    },
  })
  return {
    async get(signal) {
      try {
        const l = await api.readNamespacedLease({ name, namespace }, withSignal(signal))
        const acquireTimeMs = toMs(l.spec?.acquireTime)
        const renewTimeMs = toMs(l.spec?.renewTime)
        return {
          resourceVersion: l.metadata?.resourceVersion ?? '',
          record: {
            holderIdentity: l.spec?.holderIdentity ?? '',
            leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? 0,
            leaseTransitions: l.spec?.leaseTransitions ?? 0,
            ...(acquireTimeMs !== undefined ? { acquireTimeMs } : {}),
            ...(renewTimeMs !== undefined ? { renewTimeMs } : {}),
          },
        }
      } catch (err) {
        if (isNotFound(err)) return undefined
        throw err
      }
    },
    async create(record, signal) {
      await api.createNamespacedLease({ namespace, body: body(record) }, withSignal(signal))
    },
    async update(record, resourceVersion, signal) {
      await api.replaceNamespacedLease({ name, namespace, body: body(record, resourceVersion) }, withSignal(signal))
    },
  }
}

export interface LeaderElectorOptions {
  /** Either a kubeconfig (the Lease API) or a client of one's own. */
  kc?: KubeConfig
  client?: LeaseClient
  namespace: string
  name: string
  identity: string
  leaseDurationSeconds?: number
  renewDeadlineMs?: number
  retryPeriodMs?: number
  log: Logger
  onStartedLeading: () => void
  onStoppedLeading: () => void
  now?: () => number
  random?: () => number
}

/** client-go's JitterFactor: candidates retry between retryPeriod and 2.2 x retryPeriod. */
const JITTER_FACTOR = 1.2

type Attempt = 'acquired' | 'renewed' | 'held' | 'failed'

export class LeaderElector {
  private readonly client: LeaseClient
  private readonly leaseDurationMs: number
  private readonly renewDeadlineMs: number
  private readonly retryPeriodMs: number
  private readonly now: () => number
  private readonly random: () => number
  private readonly abort = new AbortController()
  /** Whether this replica won the lease and has not stepped down; isLeader() also checks the renew deadline. */
  private leader = false
  private running = false
  /** Cleared by stopCampaigning: no more attempts to acquire; a leader keeps renewing until stop(). */
  private campaigning = true
  private timer: NodeJS.Timeout | undefined
  private tick: Promise<void> | undefined
  private lastRenewMs = 0
  /** The last record seen and when (local clock): expiry is judged from when it last changed, as client-go does. */
  private observed: { raw: string; atMs: number; record: LeaseRecord } | undefined

  constructor(private readonly opts: LeaderElectorOptions) {
    if (opts.client === undefined && opts.kc === undefined) throw new Error('LeaderElector needs a kubeconfig or a client')
    this.leaseDurationMs = (opts.leaseDurationSeconds ?? 15) * 1000
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000
    this.now = opts.now ?? Date.now
    this.random = opts.random ?? Math.random
    if (!Number.isInteger(opts.leaseDurationSeconds ?? 15) || this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDurationSeconds must be a whole number of seconds longer than renewDeadline')
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be longer than 1.2 x retryPeriod')
    if (opts.identity === '') throw new Error('leader election identity must not be empty')
    this.client = opts.client ?? kubeLeaseClient(opts.kc as KubeConfig, opts.namespace, opts.name)
  }

  /**
   * True only while the last successful renewal started less than renewDeadline ago: asked right before every
   * action, it is false by the time another replica may take over, whether or not a round has noticed yet.
   */
  isLeader(): boolean {
    return this.leader && this.now() - this.lastRenewMs < this.renewDeadlineMs
  }

  /** Milliseconds until isLeader() turns false unless a renewal lands first; 0 when not leading. */
  leadershipLeftMs(): number {
    return this.isLeader() ? this.lastRenewMs + this.renewDeadlineMs - this.now() : 0
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.campaigning = true
    this.schedule(0)
  }

  /**
   * Shutdown, first step: never acquire the lease again. A candidate that does not lead stops electing (after the
   * attempt in flight); a leader keeps renewing, so the work it has in flight finishes under a valid lease, until
   * stop() hands the lease back.
   */
  async stopCampaigning(): Promise<void> {
    if (!this.running) return
    this.campaigning = false
    if (this.leader) return
    clearTimeout(this.timer)
    this.timer = undefined
    await this.tick
  }

  /**
   * Stops electing. With `release` (a clean shutdown) a leader hands the lease back at once, as client-go's
   * ReleaseOnCancel does, so the next leader need not wait out the lease; without it the lease simply expires.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    // Killed rather than shut down: nothing more goes out, not even the request in flight.
    if (opts.release === false) this.abort.abort()
    await this.tick
    const wasLeader = this.leader
    // Also when not leading: an acquire that landed while stopping left our name on the lease. release() only
    // writes when the lease names this replica.
    if (opts.release !== false) await this.release()
    this.abort.abort()
    if (wasLeader) this.stepDown('stopped')
  }

  private schedule(delayMs: number): void {
    if (!this.running) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.tick = this.round().catch((err: unknown) => this.opts.log.error({ err }, 'leader election round failed'))
    }, delayMs)
    this.timer.unref()
  }

  private async round(): Promise<void> {
    // A candidate that stopped campaigning has nothing to renew: it stops here.
    if (!this.campaigning && !this.leader) return
    // The attempt's start: the write cannot have landed before it, so the lease it renews cannot end earlier than
    // it would counted from here. Counting from the answer instead would stretch our belief past the others'.
    const startedMs = this.now()
    const result = await this.tryAcquireOrRenew(startedMs)
    if (!this.running) return
    const now = this.now()
    // An answer that came back after the deadline is too late to lead on.
    if ((result === 'acquired' || result === 'renewed') && now - startedMs < this.renewDeadlineMs) {
      this.lastRenewMs = startedMs
      if (!this.leader) {
        this.leader = true
        this.opts.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, 'became leader')
        this.callback(this.opts.onStartedLeading)
      }
      this.schedule(this.retryPeriodMs)
      return
    }
    if (this.leader && (result === 'held' || now - this.lastRenewMs >= this.renewDeadlineMs)) {
      this.stepDown(result === 'held' ? 'another candidate holds the lease' : 'renew deadline passed')
    }
    if (!this.campaigning && !this.leader) return
    this.schedule(this.leader ? this.retryPeriodMs : this.retryPeriodMs * (1 + JITTER_FACTOR * this.random()))
  }

  private stepDown(why: string): void {
    if (!this.leader) return
    this.leader = false
    this.opts.log.warn({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity, why }, 'stopped leading')
    this.callback(this.opts.onStoppedLeading)
  }

  private callback(cb: () => void): void {
    try {
      cb()
    } catch (err) {
      this.opts.log.error({ err }, 'leader election callback failed')
    }
  }

  /** A leader's calls may only take until its renew deadline: past that it must not believe it still leads. */
  private signal(): AbortSignal {
    const boundMs = this.leader ? Math.max(1, this.lastRenewMs + this.renewDeadlineMs - this.now()) : this.renewDeadlineMs
    return AbortSignal.any([this.abort.signal, AbortSignal.timeout(boundMs)])
  }

  private observe(record: LeaseRecord, now: number): void {
    const raw = JSON.stringify(record)
    if (this.observed?.raw !== raw) this.observed = { raw, atMs: now, record }
  }

  /**
   * As client-go's isLeaseValid: another holder's lease is valid until leaseDuration after this replica last saw
   * the record change, by its own clock. The holder's renewTime is another machine's clock and is not trusted:
   * a holder whose clock runs ahead (or a record left behind with a renewTime in the future) would otherwise
   * keep the lease long after it stopped renewing.
   */
  private heldByOther(record: LeaseRecord): boolean {
    if (record.holderIdentity === '' || record.holderIdentity === this.opts.identity) return false
    const observedAt = this.observed?.atMs ?? this.now()
    return observedAt + record.leaseDurationSeconds * 1000 > this.now()
  }

  private async tryAcquireOrRenew(now: number): Promise<Attempt> {
    const signal = this.signal()
    const me = this.opts.identity
    const fresh: LeaseRecord = { holderIdentity: me, leaseDurationSeconds: this.leaseDurationMs / 1000, acquireTimeMs: now, renewTimeMs: now, leaseTransitions: 0 }
    try {
      const got = await this.client.get(signal)
      if (got === undefined) {
        if (!this.campaigning) return 'failed'
        await this.client.create(fresh, signal)
        this.observe(fresh, now)
        return 'acquired'
      }
      // Observed when the answer came: the change happened no later than that.
      this.observe(got.record, this.now())
      if (this.heldByOther(got.record)) return 'held'
      const mine = got.record.holderIdentity === me
      if (!mine && !this.campaigning) return 'failed'
      const next: LeaseRecord = mine
        ? { ...fresh, acquireTimeMs: got.record.acquireTimeMs ?? now, leaseTransitions: got.record.leaseTransitions }
        : { ...fresh, leaseTransitions: got.record.leaseTransitions + 1 }
      await this.client.update(next, got.resourceVersion, signal)
      this.observe(next, now)
      return mine && this.leader ? 'renewed' : 'acquired'
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 409) this.opts.log.debug({ identity: me }, 'lease changed under us (409)')
      else this.opts.log.warn({ err: String((err as Error).message ?? err).split('\n')[0], identity: me }, 'lease request failed')
      return 'failed'
    }
  }

  private async release(): Promise<void> {
    try {
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.renewDeadlineMs)])
      const got = await this.client.get(signal)
      if (got === undefined || got.record.holderIdentity !== this.opts.identity) return
      const now = this.now()
      await this.client.update({ holderIdentity: '', leaseDurationSeconds: 1, acquireTimeMs: now, renewTimeMs: now, leaseTransitions: got.record.leaseTransitions }, got.resourceVersion, signal)
      this.opts.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, 'released the lease')
    } catch (err) {
      this.opts.log.warn({ err: String((err as Error).message ?? err).split('\n')[0] }, 'lease release failed; it will expire instead')
    }
  }
}
