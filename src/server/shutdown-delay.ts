import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { ReadinessCheck } from './health.js'

/**
 * Keeps a server answering for a while after it is told to stop. A terminating pod leaves the Service's endpoints
 * only once kube-apiserver, the endpoint controllers and every node's proxy have seen it go; until then callers
 * (the aggregator, the admission chain with failurePolicy Fail) are still sent to it. Closing at once would turn
 * those requests into refused connections; answering them through the delay (readiness already failing) drains
 * the pod without an error. kube-apiserver's own --shutdown-delay-duration does the same.
 */
export class ShutdownDelay {
  #draining = false

  constructor(private readonly delayMs: number) {}

  readonly check: ReadinessCheck = {
    name: 'shutdown',
    check: () => ({ ready: !this.#draining, reason: this.#draining ? 'shutting down' : 'serving' }),
  }

  /** Fails readiness, then resolves after the delay; the caller closes its servers after that. */
  async begin(log?: Logger): Promise<void> {
    this.#draining = true
    if (this.delayMs <= 0) return
    log?.info({ shutdownDelayMs: this.delayMs }, 'answering requests for the shutdown delay before closing')
    await sleep(this.delayMs)
  }
}
