import { pino } from 'pino'
import t from 'tap'
import type { PrometheusClient } from './client.js'
import { PrometheusError, PrometheusQueryError, PrometheusTimeoutError, PrometheusUnavailableError } from './errors.js'
import type { RawSeries } from './parse.js'
import { withResilience, type ResilienceOptions } from './resilient.js'

const log = pino({ level: 'silent' })
const RANGE = { startMs: 0, endMs: 60_000, stepSeconds: 60 }
const ANSWER: RawSeries[] = [{ labels: {}, timestampsMs: Float64Array.of(0), values: Float64Array.of(1) }]

/** A client whose answers are scripted: an Error is thrown, anything else answers. */
function scripted(outcomes: Array<Error | 'ok'>): PrometheusClient & { calls: number } {
  const c = {
    endpoint: 'http://prom',
    calls: 0,
    queryRange: async (): Promise<RawSeries[]> => {
      const o = outcomes[c.calls++] ?? 'ok'
      if (o instanceof Error) throw o
      return ANSWER
    },
    close() {},
  }
  return c
}

const down = (): PrometheusError => new PrometheusUnavailableError('down', 503)
const fast: ResilienceOptions = { sleep: async () => {}, random: () => 0 }

t.test('retries: which failures, how many', async (t) => {
  const cases: Array<[string, Array<Error | 'ok'>, number, number, string]> = [
    ['answer', ['ok'], 2, 1, 'ok'],
    ['503 then answer', [down(), 'ok'], 2, 2, 'ok'],
    ['always down', [down(), down(), down(), down()], 2, 3, 'unavailable'],
    ['bad query not retried', [new PrometheusQueryError('bad', 400), 'ok'], 2, 1, 'bad-query'],
    ['non-Prometheus errors not retried', [new TypeError('bug'), 'ok'], 2, 1, 'TypeError'],
  ]
  for (const [name, outcomes, retries, calls, want] of cases) {
    const c = scripted(outcomes)
    const q = withResilience(c, log, { ...fast, retries, breakerFailureThreshold: 100 })
    const got = await q.queryRange('x', RANGE).then(() => 'ok', (e: unknown) => (e instanceof PrometheusError ? e.kind : (e as Error).name))
    t.equal(got, want, `${name}: outcome`)
    t.equal(c.calls, calls, `${name}: calls`)
  }
})

t.test('the breaker opens on consecutive failed attempts, rejects without calling, probes after the cool-down', async (t) => {
  let now = 0
  const c = scripted([down(), down(), down(), down(), 'ok'])
  const q = withResilience(c, log, { ...fast, retries: 5, breakerFailureThreshold: 3, breakerCoolDownMs: 1000, now: () => now })
  const first = await q.queryRange('x', RANGE).catch((e: unknown) => e)
  t.equal(c.calls, 3, 'the retries stop when the circuit opens')
  t.match(first, { kind: 'unavailable', message: /down/ }, 'and the caller sees the failure that opened it')
  t.equal(q.breakerState(), 'open')
  t.match(await q.queryRange('x', RANGE).catch((e: unknown) => e), { kind: 'circuit-open', message: /failed repeatedly \(last: [^)]*down[^)]*\); not asking again for 1000 ms/ }, 'a later caller learns why too')
  t.equal(c.calls, 3, 'nothing sent while open')
  now = 1000
  t.match(await q.queryRange('x', RANGE).catch((e: unknown) => e), { kind: 'unavailable' }, 'the probe fails')
  t.equal(c.calls, 4)
  t.equal(q.breakerState(), 'open', 'and re-opens the circuit')
  now = 2000
  t.same(await q.queryRange('x', RANGE), ANSWER, 'the next probe answers')
  t.equal(q.breakerState(), 'closed')
})

t.test('a rejected query counts as a healthy Prometheus', async (t) => {
  const c = scripted([down(), down(), new PrometheusQueryError('bad', 400), down(), down()])
  const q = withResilience(c, log, { ...fast, retries: 0, breakerFailureThreshold: 3 })
  for (let i = 0; i < 5; i++) await q.queryRange('x', RANGE).catch(() => undefined)
  t.equal(q.breakerState(), 'closed', 'the 400 reset the failure count')
})

t.test('a circuit opened by timeouts says so', async (t) => {
  const timeout = (): PrometheusError => new PrometheusTimeoutError('http://prom', 10_000)
  const c = scripted([timeout(), timeout(), timeout()])
  const q = withResilience(c, log, { ...fast, retries: 5, breakerFailureThreshold: 3, breakerCoolDownMs: 1000, now: () => 0 })
  await q.queryRange('x', RANGE).catch(() => undefined)
  const refused = await q.queryRange('x', RANGE).catch((e: unknown) => e)
  t.match(refused, { kind: 'circuit-open', message: 'unable to query Prometheus: http://prom failed repeatedly (last: no answer from http://prom within 10000 ms); not asking again for 1000 ms' })
})

t.test('the refusal quotes an unreachable endpoint\'s failure without repeating the endpoint', async (t) => {
  const unreachable = (): PrometheusError => new PrometheusUnavailableError('http://prom is unreachable: connect ECONNREFUSED 127.0.0.1:9')
  const c = scripted([unreachable(), unreachable()])
  const q = withResilience(c, log, { ...fast, retries: 1, breakerFailureThreshold: 2, breakerCoolDownMs: 1000, now: () => 0 })
  await q.queryRange('x', RANGE).catch(() => undefined)
  t.match(await q.queryRange('x', RANGE).catch((e: unknown) => e), { message: 'unable to query Prometheus: http://prom failed repeatedly (last: unreachable: connect ECONNREFUSED 127.0.0.1:9); not asking again for 1000 ms' })
})
