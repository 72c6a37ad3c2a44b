import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { withSignal } from './client.js'

// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection package: a candidate
// takes the lease once it is free or expired, the leader renews it every retryPeriod, and gives up leading
// when it could not renew for renewDeadline, which is shorter than the lease, so it has stopped acting before
// anyone else may take over. Every write carries the resourceVersion it read: a 409 means someone else won.

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

export function kubeLeaseClient(kc: KubeConfig, namespace: string, name: string): LeaseClient {
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
        if ((err as { code?: unknown }).code === 404) return undefined
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
  private leader = false
  private running = false
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

  isLeader(): boolean {
    return this.leader
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule(0)
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
    if (wasLeader && opts.release !== false) await this.release()
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
    const result = await this.tryAcquireOrRenew()
    if (!this.running) return
    const now = this.now()
    if (result === 'acquired' || result === 'renewed') {
      this.lastRenewMs = now
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

  private heldByOther(record: LeaseRecord, now: number): boolean {
    if (record.holderIdentity === '' || record.holderIdentity === this.opts.identity) return false
    const durationMs = record.leaseDurationSeconds * 1000
    // Valid while either clock says so: our own (time since the record last changed, immune to skew) or the
    // holder's renewTime. Taking over only when both agree it expired errs towards never two leaders.
    const byObservation = (this.observed?.atMs ?? now) + durationMs > now
    const byRenewTime = record.renewTimeMs !== undefined && record.renewTimeMs + durationMs > now
    return byObservation || byRenewTime
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const now = this.now()
    const signal = this.signal()
    const me = this.opts.identity
    const fresh: LeaseRecord = { holderIdentity: me, leaseDurationSeconds: this.leaseDurationMs / 1000, acquireTimeMs: now, renewTimeMs: now, leaseTransitions: 0 }
    try {
      const got = await this.client.get(signal)
      if (got === undefined) {
        await this.client.create(fresh, signal)
        this.observe(fresh, now)
        return 'acquired'
      }
      this.observe(got.record, now)
      if (this.heldByOther(got.record, now)) return 'held'
      const mine = got.record.holderIdentity === me
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
