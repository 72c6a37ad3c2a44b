import t from 'tap'
import { backoffDelayMs, withRetry } from './retry.js'

t.test('backoffDelayMs is full jitter under an exponential ceiling', async (t) => {
  const opts = { baseMs: 100, maxMs: 1000 }
  const cases: Array<[number, number, number]> = [
    [0, 0, 0], [0, 0.5, 50], [1, 0.5, 100], [2, 0.5, 200], [3, 0.999, 799], [4, 0.5, 500], [10, 0.5, 500], [3, 1, 799],
  ]
  for (const [attempt, random, want] of cases) t.equal(backoffDelayMs(attempt, opts, random), want, `attempt ${attempt} random ${random}`)
})

t.test('withRetry', async (t) => {
  const retryable = new Error('retry me')
  const fatal = new Error('fatal')
  const run = async (outcomes: Array<Error | string>, retries: number): Promise<{ result: string | Error; calls: number; sleeps: number[] }> => {
    const sleeps: number[] = []
    let calls = 0
    try {
      const result = await withRetry(
        async () => {
          const o = outcomes[calls++]
          if (o instanceof Error) throw o
          return o ?? 'done'
        },
        { retries, baseMs: 10, maxMs: 100, isRetryable: (e) => e === retryable, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
      )
      return { result, calls, sleeps }
    } catch (err) {
      return { result: err as Error, calls, sleeps }
    }
  }
  const cases: Array<[string, Array<Error | string>, number, string | Error, number, number[]]> = [
    ['first try', ['a'], 2, 'a', 1, []],
    ['after two failures', [retryable, retryable, 'b'], 2, 'b', 3, [5, 10]],
    ['retries spent', [retryable, retryable, retryable, 'c'], 2, retryable, 3, [5, 10]],
    ['not retryable', [fatal, 'd'], 2, fatal, 1, []],
    ['no retries', [retryable, 'e'], 0, retryable, 1, []],
  ]
  for (const [name, outcomes, retries, want, calls, sleeps] of cases) {
    const got = await run(outcomes, retries)
    t.equal(got.result, want, `${name}: result`)
    t.equal(got.calls, calls, `${name}: calls`)
    t.same(got.sleeps, sleeps, `${name}: backoff`)
  }
})
