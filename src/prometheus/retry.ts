interface BackoffOptions {
  baseMs: number
  maxMs: number
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(max, base * 2^attempt)), so clients that failed
 * together do not retry together. `random` is in [0, 1).
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: number): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt))
  return Math.floor(ceiling * Math.min(Math.max(random, 0), 1 - Number.EPSILON))
}

interface RetryOptions extends BackoffOptions {
  /** Attempts after the first. */
  retries: number
  isRetryable: (err: unknown) => boolean
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `task` until it succeeds, fails with a non-retryable error, or the retries are spent (last error thrown). */
export async function withRetry<T>(task: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep
  const random = opts.random ?? Math.random
  for (let attempt = 0; ; attempt++) {
    try {
      return await task(attempt)
    } catch (err) {
      if (attempt >= opts.retries || !opts.isRetryable(err)) throw err
      const delayMs = backoffDelayMs(attempt, opts, random())
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error: err })
      await sleep(delayMs)
    }
  }
}
