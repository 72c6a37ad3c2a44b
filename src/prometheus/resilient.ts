/**
 * The policy around single queries: at most `maxInFlight` at once, retries with jittered backoff for failures
 * that may pass (network, timeouts, 5xx, 429), none for bad queries, and a circuit breaker so a dead Prometheus
 * is not asked (and waited for) once per policy per refresh.
 */
import type { Logger } from 'pino'
import { CircuitBreaker, type BreakerState } from './breaker.js'
import type { PrometheusClient, QueryOptions, QueryRange } from './client.js'
import { CircuitOpenError, PrometheusError } from './errors.js'
import { ConcurrencyLimit } from './limits.js'
import type { RawSeries } from './parse.js'
import { withRetry } from './retry.js'

export interface ResilienceOptions {
  maxInFlight?: number
  /** Attempts after the first for retryable failures (default 2). */
  retries?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Consecutive failed attempts that open the circuit (default 5). */
  breakerFailureThreshold?: number
  breakerCoolDownMs?: number
  now?: () => number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface Querier {
  readonly endpoint: string
  queryRange(query: string, range: QueryRange, opts?: QueryOptions): Promise<RawSeries[]>
  breakerState(): BreakerState
}

export function withResilience(client: PrometheusClient, log: Logger, opts: ResilienceOptions = {}): Querier {
  const limit = new ConcurrencyLimit(opts.maxInFlight ?? 4)
  const breaker = new CircuitBreaker({ failureThreshold: opts.breakerFailureThreshold ?? 5, coolDownMs: opts.breakerCoolDownMs ?? 30_000, ...(opts.now !== undefined ? { now: opts.now } : {}) })

  // What the failures that opened the circuit said: a caller refused later learns why, not only that.
  let lastFailure: string | undefined
  const attempt = async (query: string, range: QueryRange, q: QueryOptions | undefined, call: { previous?: Error; refused: boolean }): Promise<RawSeries[]> => {
    if (!breaker.tryAcquire()) {
      call.refused = true
      // When the circuit opened during our own retries, the failure that opened it is the useful answer.
      throw call.previous ?? new CircuitOpenError(client.endpoint, breaker.retryInMs(), lastFailure)
    }
    const probe = breaker.state === 'half-open'
    try {
      const out = await client.queryRange(query, range, q)
      if (probe) log.info({ endpoint: client.endpoint }, 'Prometheus answers again; circuit closed')
      breaker.onSuccess()
      return out
    } catch (err) {
      // Only failures that say Prometheus is unwell count; a rejected query means it answered.
      if (err instanceof PrometheusError && !err.retryable) breaker.onSuccess()
      else {
        // Without the "unable to query Prometheus: " (and the endpoint right after it) the refusal already says.
        // ("http://prom is unreachable: ..." becomes "unreachable: ...").
        lastFailure = withoutPrefix(withoutPrefix(withoutPrefix(err instanceof Error ? err.message : String(err), 'unable to query Prometheus: '), `${client.endpoint} `), 'is ')
        if (breaker.onFailure()) log.warn({ endpoint: client.endpoint, coolDownMs: opts.breakerCoolDownMs ?? 30_000, err: String(err) }, 'Prometheus keeps failing; circuit opened')
      }
      throw err
    }
  }

  return {
    endpoint: client.endpoint,
    breakerState: () => breaker.state,
    queryRange: (query, range, q) => {
      const call: { previous?: Error; refused: boolean } = { refused: false }
      return limit.run(() =>
        withRetry(async () => {
          try {
            return await attempt(query, range, q, call)
          } catch (err) {
            if (err instanceof Error) call.previous = err
            throw err
          }
        }, {
          retries: opts.retries ?? 2,
          baseMs: opts.backoffBaseMs ?? 200,
          maxMs: opts.backoffMaxMs ?? 5_000,
          isRetryable: (err) => !call.refused && err instanceof PrometheusError && err.retryable,
          ...(opts.random !== undefined ? { random: opts.random } : {}),
          ...(opts.sleep !== undefined ? { sleep: opts.sleep } : {}),
          onRetry: ({ attempt: n, delayMs, error }) => log.debug({ endpoint: client.endpoint, attempt: n, delayMs, err: String(error) }, 'retrying a Prometheus query'),
        }),
      )
    },
  }
}

function withoutPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text
}
