export type BreakerState = 'closed' | 'open' | 'half-open'

interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number
  /** How long an open circuit rejects before one probe is let through. */
  coolDownMs: number
  now?: () => number
}

/**
 * Circuit breaker: after `failureThreshold` consecutive failures, calls are refused without touching the network
 * for `coolDownMs`; then ONE probe goes through (half-open). Its success closes the circuit, its failure opens it
 * for another cool-down. This keeps a dead Prometheus from costing every refresh a full timeout per policy.
 */
export class CircuitBreaker {
  private failures = 0
  private openedAtMs: number | undefined
  private probing = false
  private readonly now: () => number

  constructor(private readonly opts: BreakerOptions) {
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) throw new RangeError(`failureThreshold must be a positive integer, got ${opts.failureThreshold}`)
    this.now = opts.now ?? Date.now
  }

  get state(): BreakerState {
    if (this.openedAtMs === undefined) return 'closed'
    return this.now() - this.openedAtMs >= this.opts.coolDownMs ? 'half-open' : 'open'
  }

  /** Milliseconds until a probe is allowed (0 when closed or half-open). */
  retryInMs(): number {
    return this.openedAtMs === undefined ? 0 : Math.max(0, this.openedAtMs + this.opts.coolDownMs - this.now())
  }

  /** Whether a call may go out now; in half-open state only the first caller gets through until it reports. */
  tryAcquire(): boolean {
    const s = this.state
    if (s === 'closed') return true
    if (s === 'open' || this.probing) return false
    this.probing = true
    return true
  }

  onSuccess(): void {
    this.failures = 0
    this.openedAtMs = undefined
    this.probing = false
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  onFailure(): boolean {
    this.failures++
    const wasProbe = this.probing
    this.probing = false
    if (wasProbe || (this.openedAtMs === undefined && this.failures >= this.opts.failureThreshold)) {
      this.openedAtMs = this.now()
      return true
    }
    return false
  }
}
