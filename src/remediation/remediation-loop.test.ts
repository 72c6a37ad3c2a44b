import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t from 'tap'
import { policyKey, policySchema, type Policy } from '../policy/schema.js'
import type { PolicySource } from '../policy/source.js'
import type { Decision, SkipReason } from './decide.js'
import { remediationMetrics } from './metrics.js'
import type { PodOutcome, Remediator, RoundResult } from './reconcile.js'
import { heldByMaxUnavailable, RemediationLoop } from './remediation-loop.js'

function policy(name: string): Policy {
  return policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name, namespace: 'shop' },
    spec: { scaleTargetRef: { name }, load: { query: 'sum(rate(http_requests_total[2m]))', capacityPerReplica: 10 }, maxReplicas: 10 },
  })
}

function skip(pod: string, reason: SkipReason): Decision {
  return { pod, action: 'skip', reason, message: reason, dryRun: false }
}

function round(p: string, decisions: Decision[], outcomes: Array<[string, PodOutcome]> = [], error?: string): RoundResult {
  return { policy: `shop/${p}`, mode: 'Enforce', decisions, outcomes: new Map(outcomes), ...(error !== undefined ? { error } : {}) }
}

t.test('a round holds a restart back for maxUnavailable only when a decision or the write-ahead step says so', async (t) => {
  const table: Array<[string, RoundResult, boolean]> = [
    ['no outliers', round('a', [skip('a-1', 'NotOutlier')]), false],
    ['decide held it', round('a', [skip('a-1', 'MaxUnavailable')]), true],
    ['refused at the write-ahead step', round('a', [], [['a-1', 'MaxUnavailable']]), true],
    ['another reason', round('a', [skip('a-1', 'BudgetExhausted')]), false],
    ['the round failed', round('a', [skip('a-1', 'MaxUnavailable')], [], 'PodsUnavailable'), false],
  ]
  for (const [name, r, want] of table) t.equal(heldByMaxUnavailable(r), want, name)
})

/** A remediator whose rounds answer from a script per policy (the last answer repeats) and record each call. */
function scripted(script: Record<string, Array<Decision[]>>): { remediator: Remediator; calls: string[] } {
  const calls: string[] = []
  let queue: Promise<unknown> = Promise.resolve()
  const remediator = {
    serialize<T>(fn: () => Promise<T>): Promise<T> {
      const next = queue.then(fn, fn)
      queue = next.catch(() => undefined)
      return next
    },
    idle: async (): Promise<void> => {
      await queue
    },
    retain: (): void => {},
    reconcile: (p: Policy): Promise<RoundResult> => {
      const name = p.metadata.name
      const answers = script[name] ?? [[]]
      const n = calls.filter((c) => c === name).length
      calls.push(name)
      return Promise.resolve(round(name, answers[Math.min(n, answers.length - 1)] ?? []))
    },
  }
  return { remediator: remediator as unknown as Remediator, calls }
}

/** Waits until `ok()` holds, for at most `timeoutMs` (rounds run on timers, and a loaded machine delays them). */
async function until(ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!ok() && Date.now() < end) await sleep(10)
}

function loopOver(names: string[], remediator: Remediator, intervalMs: number, waitingIntervalMs: number): RemediationLoop {
  const list = names.map(policy)
  const policies = { list: () => list, get: (k: string) => list.find((p) => policyKey(p) === k) } as unknown as PolicySource
  return new RemediationLoop({ log: pino({ level: 'silent' }), policies, remediator, metrics: remediationMetrics(new Registry()), intervalMs, waitingIntervalMs })
}

t.test('a policy whose restart waited for maxUnavailable is evaluated again soon, alone, until it no longer waits', async (t) => {
  const { remediator, calls } = scripted({
    a: [[skip('a-1', 'MaxUnavailable')], [skip('a-1', 'MaxUnavailable')], []],
    b: [[skip('b-1', 'NotOutlier')]],
  })
  const loop = loopOver(['a', 'b'], remediator, 60_000, 20)
  t.teardown(() => loop.stop())
  loop.start()
  await until(() => calls.length >= 4)
  // Long enough for several more follow-ups, were they still scheduled.
  await sleep(150)
  // The first round covers both; the follow-ups only `a`, twice more, after which it waits no longer.
  t.same(calls, ['a', 'b', 'a', 'a'])
})

t.test('no round runs after stop(), a follow-up that was due included', async (t) => {
  const { remediator, calls } = scripted({ a: [[skip('a-1', 'MaxUnavailable')]] })
  const loop = loopOver(['a'], remediator, 60_000, 50)
  loop.start()
  await loop.reconcileNow()
  await loop.stop()
  const before = calls.length
  await sleep(200)
  t.equal(calls.length, before, 'no round after stop()')
})

t.test('no follow-up rounds when waitingIntervalMs is not sooner than intervalMs', async (t) => {
  for (const waitingIntervalMs of [100, 150]) {
    const { remediator, calls } = scripted({ a: [[skip('a-1', 'MaxUnavailable')]], b: [[skip('b-1', 'NotOutlier')]] })
    const loop = loopOver(['a', 'b'], remediator, 100, waitingIntervalMs)
    loop.start()
    await until(() => calls.length >= 8)
    await loop.stop()
    // Every round covers both policies; a follow-up would evaluate `a` alone.
    const a = calls.filter((c) => c === 'a').length
    const b = calls.filter((c) => c === 'b').length
    t.ok(a - b <= 1, `waitingIntervalMs ${waitingIntervalMs}: ${a} rounds of a, ${b} of b (${calls.join(',')})`)
  }
})
