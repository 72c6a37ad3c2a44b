import { pino } from 'pino'
import t from 'tap'
import { ResultCache, type Backstop } from './result-cache.js'
import type { PolicyResult } from './types.js'

const result: PolicyResult = {
  policy: 'default/web', namespace: 'default', name: 'web', desiredReplicas: 6, reason: 'Predicted', message: 'ok', dataTimeMs: 0,
  computedAtMs: 0, modelVersion: 't', explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 1, bounds: { minReplicas: 1, maxReplicas: 10 }, failures: 0, errors: [] },
}
const INTERVAL_MS = 15_000
const STALENESS_S = 120

t.test('a result is served as committed until no refresh has replaced it for maxStalenessSeconds plus an interval', async (t) => {
  // Committed at 0; lastGood's data is as old as the commit unless a case says otherwise.
  const cases: Array<{ name: string; ageMs: number; backstop?: Backstop; want: Partial<PolicyResult> }> = [
    { name: 'fresh', ageMs: STALENESS_S * 1000 + INTERVAL_MS, backstop: { maxStalenessSeconds: STALENESS_S, fallback: { behavior: 'static', failureThreshold: 3, replicas: 2 }, failures: 0, lastGood: { replicas: 6, dataTimeMs: 0, refreshedAtMs: 0 } }, want: { reason: 'Predicted', desiredReplicas: 6 } },
    { name: 'overdue, static fallback', ageMs: STALENESS_S * 1000 + INTERVAL_MS + 1, backstop: { maxStalenessSeconds: STALENESS_S, fallback: { behavior: 'static', failureThreshold: 3, replicas: 2 }, failures: 0, lastGood: { replicas: 6, dataTimeMs: 0, refreshedAtMs: 0 } }, want: { reason: 'Fallback', desiredReplicas: 2 } },
    { name: 'overdue, current replicas unknown, last good too old', ageMs: 200_000, backstop: { maxStalenessSeconds: STALENESS_S, fallback: { behavior: 'currentReplicas', failureThreshold: 3 }, failures: 0, lastGood: { replicas: 6, dataTimeMs: 0, refreshedAtMs: 0 } }, want: { reason: 'NoData', desiredReplicas: undefined } },
    { name: 'no backstop: never overdue', ageMs: 10 * 86_400_000, want: { reason: 'Predicted', desiredReplicas: 6 } },
  ]
  for (const c of cases) {
    let nowMs = 0
    const cache = new ResultCache({ log: pino({ level: 'silent' }), now: () => nowMs, refreshIntervalMs: INTERVAL_MS })
    cache.put('default/web', { result, atMs: 0, ...(c.backstop !== undefined ? { backstop: c.backstop } : {}) })
    nowMs = c.ageMs
    const served = cache.result('default/web')
    t.equal(served?.reason, c.want.reason, `${c.name}: reason`)
    t.equal(served?.desiredReplicas, c.want.desiredReplicas, `${c.name}: replicas`)
    if (c.want.reason !== 'Predicted') t.match(served?.message, /no result for \d+s, longer than maxStalenessSeconds \(120s\)/, `${c.name}: says why`)
  }
})

t.test('take hands everything over and leaves the cache empty; retain drops what is not listed', async (t) => {
  const cache = new ResultCache({ log: pino({ level: 'silent' }), now: () => 0 })
  cache.put('default/web', { result, atMs: 0 })
  cache.put('default/api', { result: { ...result, policy: 'default/api', name: 'api' }, atMs: 0 })
  cache.retain(new Set(['default/api']))
  t.same([...cache.allResults()].map((r) => r.name), ['api'])
  const taken = cache.take()
  t.same(taken.map(([k]) => k), ['default/api'])
  t.notOk('overdueLogged' in (taken[0]?.[1] ?? {}), 'only the committed data crosses')
  t.same([...cache.allResults()], [])
})
