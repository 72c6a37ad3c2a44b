import { join } from 'node:path'
import { pino } from 'pino'
import { parse } from 'yaml'
import t from 'tap'
import { Engine } from '../../src/engine/engine.js'
import { loadModel } from '../../src/model/runtime.js'
import { policySchema } from '../../src/policy/schema.js'
import { createPrometheusSource } from '../../src/prometheus/source.js'
import { packageRoot } from '../../src/util/paths.js'
import { STATIC_FALLBACK_7, backfilledPolicy } from '../helpers/policies.js'
import { startPrometheus } from '../helpers/prometheus.js'

// A series that simply stops, against a real Prometheus: its backfilled history ends and nothing is scraped
// after it, so every query past the end answers without error and without the series (rate() over [2m] carries
// it a little longer). The engine, refreshed every 15 s on a clock that runs on from the end of the history, must
// go through the documented sequence with the default maxStalenessSeconds: the last good value, then the fallback.

const prom = await startPrometheus({ days: 1, services: [{ namespace: 'default', service: 'web', scale: 1 }], pods: [] })
t.teardown(() => prom.stop())
const root = packageRoot()
const model = await loadModel(join(root, 'models/foresight-forecaster.onnx'), join(root, 'models/foresight-forecaster.json'))
t.teardown(() => model.close())

t.test('Predicted, then StaleValue, then Fallback: the stale value is not skipped', async (t) => {
  const log = pino({ level: 'silent' })
  const { source } = createPrometheusSource({ url: prom.url, log, timeoutMs: 10_000 })
  let now = prom.endMs + 5_000
  const engine = new Engine({ model, history: source, log, now: () => now, refreshIntervalMs: 15_000 })
  const policy = policySchema.parse(parse(backfilledPolicy('default', 'web', 'web', STATIC_FALLBACK_7.replace('failureThreshold: 2', 'failureThreshold: 3'))))
  const reasons: string[] = []
  for (let i = 0; i < 40 && reasons.at(-1) !== 'Fallback'; i++, now += 15_000) {
    await engine.refresh([policy])
    const r = engine.result('default/web')
    if (r !== undefined && reasons.at(-1) !== r.reason) reasons.push(r.reason)
  }
  t.same(reasons, ['Predicted', 'StaleValue', 'Fallback'])
  t.match(engine.result('default/web'), { desiredReplicas: 7, explain: { errors: ['load history: no sample in the last minutes'] } })
})
