// How long one status round holds the API's thread at many policies: the status writer looks at every policy's
// result after each refresh (src/engine/status-writer.ts) on the thread that answers the API. Every policy's status
// is written once first, so the measured rounds look at all of them and write none, as in a steady cluster.
// Run: npm run build:bench && node dist-bench/bench/status-round.js [POLICIES [ROUNDS]]
import { pino } from 'pino'
import { setTimeout as sleep } from 'node:timers/promises'
import { StatusWriter } from '../src/engine/status-writer.js'
import type { PolicyResult } from '../src/engine/types.js'
import type { StatusClient } from '../src/policy/status.js'

const policies = Number(process.argv[2] ?? '10000')
const rounds = Number(process.argv[3] ?? '5')
const client: StatusClient = {
  get: async () => ({ resourceVersion: '1', status: {}, uid: 'u' }),
  patch: async () => {},
}
const result = (i: number): PolicyResult => ({
  policy: `default/p${i}`, namespace: 'default', name: `p${i}`, desiredReplicas: 4, reason: 'Predicted', message: 'forecast peak 1.0 needs 4',
  dataTimeMs: 0, computedAtMs: 0, modelVersion: '0.1.0',
  explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 1, bounds: { minReplicas: 1, maxReplicas: 10 }, failures: 0, errors: [] },
})
const results = Array.from({ length: policies }, (_, i) => result(i))
const writer = new StatusWriter(client, pino({ level: 'silent' }), policies)
await writer.write(results, 0)

console.log(`bench:status-round  ${new Date().toISOString()}  ${policies} policies, nothing to write`)
for (let round = 1; round <= rounds; round++) {
  let last = performance.now()
  let longestGapMs = 0
  const tick = setInterval(() => {
    const now = performance.now()
    longestGapMs = Math.max(longestGapMs, now - last)
    last = now
  }, 1)
  const t0 = performance.now()
  await writer.write(results, round * 1000)
  const roundMs = performance.now() - t0
  await sleep(5)
  clearInterval(tick)
  console.log(`round ${round}: ${roundMs.toFixed(1)} ms in all; longest gap between ticks of a 1 ms interval ${longestGapMs.toFixed(1)} ms`)
}
