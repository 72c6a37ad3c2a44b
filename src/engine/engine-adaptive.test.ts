import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { loadBundledModel, type LoadedModel } from '../model/runtime.js'
import { policySchema, type Policy } from '../policy/schema.js'
import { readTrace } from '../replay/trace.js'
import { packageRoot } from '../util/paths.js'
import { COMPONENTS, EVAL_HORIZONS } from '../forecast/adaptive.js'
import { Engine } from './engine.js'
import { formatExplanation } from './explanation.js'
import type { HistoryReader, WindowResult } from '../ports.js'
import { buffersOf } from '../../test/helpers/buffers.js'

// The engine's per-workload adaptation over the real model and a real trace: causal, shadowed, explained.

const trace = readTrace(join(packageRoot(), 'assets/traces/nasa-http-1995-07-per-minute.csv.gz'))
const rps = Float64Array.from(trace.values, (v) => v / 60)
// Day 10 of the trace, 14:00: a week and a day of history behind it, so the seasonal rows exist.
const start = trace.startMs + (9 * 1440 + 14 * 60) * 60_000

const policy: Policy = policySchema.parse({
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name: 'web', namespace: 'default' },
  spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(http_requests_total{service="web"}[2m]))', capacityPerReplica: 0.25 }, maxReplicas: 60 },
})

/** The trace per minute; rows at or after `tamperFromMs` are tripled plus 5 (a different future). */
function reader(tamperFromMs = Infinity): HistoryReader {
  return {
    read: async (policies, range): Promise<Map<string, WindowResult>> => {
      const stepMs = range.stepSeconds * 1000
      const n = Math.round((range.endMs - range.startMs) / stepMs) + 1
      const values = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const ts = range.startMs + i * stepMs
        const v = rps[Math.floor((ts - trace.startMs) / trace.stepMs)] ?? NaN
        values[i] = ts >= tamperFromMs ? v * 3 + 5 : v
      }
      return new Map(policies.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, { ok: true, window: { values, startMs: range.startMs, stepMs } }]))
    },
  }
}

let model: LoadedModel
t.before(async () => {
  model = await loadBundledModel()
})
t.teardown(() => model.close())

async function run(history: HistoryReader, minutes: number, adaptive = true): Promise<Array<{ desired?: number; forecast?: unknown; adaptive?: unknown }>> {
  let now = start
  const engine = new Engine({ model, history, log: pino({ level: 'silent' }), now: () => now, adaptive })
  const out: Array<{ desired?: number; forecast?: unknown; adaptive?: unknown }> = []
  for (let m = 0; m < minutes; m++) {
    now = start + m * 60_000
    await engine.refresh([policy])
    const r = engine.result('default/web')
    out.push({ ...(r?.desiredReplicas !== undefined ? { desired: r.desiredReplicas } : {}), forecast: r?.forecast, adaptive: r?.explain.adaptive })
  }
  return out
}

t.test('strictly causal: a different future changes nothing served before it arrives', async (t) => {
  const cut = 90
  const a = await run(reader(), 130)
  const b = await run(reader(start + cut * 60_000 + 1), 130)
  t.same(b.slice(0, cut + 1), a.slice(0, cut + 1), 'identical up to the minute the rows differ from')
  t.not(JSON.stringify(b.slice(cut + 1)), JSON.stringify(a.slice(cut + 1)), 'and different after (the test can fail)')
})

t.test('the adaptation scores forecasts, runs the seasonal shadow in the batch, and explain shows it', async (t) => {
  let now = start
  const engine = new Engine({ model, history: reader(), log: pino({ level: 'silent' }), now: () => now })
  for (let m = 0; m < 150; m++) {
    now = start + m * 60_000
    await engine.refresh([policy])
  }
  const r = engine.result('default/web')
  const a = r?.explain.adaptive
  t.ok(a !== undefined)
  t.ok((a?.scored[0] ?? 0) > 100, `forecasts scored at ${EVAL_HORIZONS[0]} step(s): ${a?.scored[0]}`)
  t.ok((a?.seasonal.compared ?? 0) > 0, `the seasonal shadow was compared ${a?.seasonal.compared} times`)
  const w = a?.weights ?? []
  for (let k = 0; k < EVAL_HORIZONS.length; k++) t.ok(Math.abs(w.filter((_, i) => i % EVAL_HORIZONS.length === k).reduce((x, y) => x + y, 0) - 1) < 0.01, `weights at horizon ${k} sum to 1`)
  const day = COMPONENTS.indexOf('seasonal_shape') * EVAL_HORIZONS.length
  t.ok(Number.isFinite(a?.relativeError[day]), `the engine gives the adaptation its day-ago row: seasonal_shape is scored (${a?.relativeError[day]})`)
  t.ok((r?.forecast?.p10 ?? NaN) <= (r?.forecast?.p50 ?? NaN) && (r?.forecast?.p50 ?? NaN) <= (r?.forecast?.p90 ?? NaN))
  const text = r !== undefined ? formatExplanation(r) : ''
  t.match(text, /adaptation \(per workload, in memory: a restart of the adapter, or explain --local, starts it afresh\)/)
  t.match(text, /holt_damped/)
  t.match(text, /seasonal rows {3}(used|MASKED)/)
  const off = await run(reader(), 2, false)
  t.equal(off[1]?.adaptive, undefined, 'adaptive: false serves the model as it is, without the adaptation')
})

t.test('the engine makes each policy\'s detector and adaptation state on one buffer each', async (t) => {
  const engine = new Engine({ model, history: reader(), log: pino({ level: 'silent' }), now: () => start })
  const names = ['web', 'api', 'shop']
  await engine.refresh(names.map((name) => ({ ...policy, metadata: { ...policy.metadata, name } })))
  // Private: the per-policy state is what this test is about. The first policy of a kind in a process is measured.
  const states = Reflect.get(engine, 'states') as Map<string, { scorer: unknown; adaptive?: unknown }>
  const last = states.get('default/shop')
  t.ok(last?.adaptive !== undefined, 'the adaptation state was made')
  t.equal(buffersOf(last?.scorer).size, 1, 'the detector on one buffer')
  t.equal(buffersOf(last?.adaptive).size, 1, 'the adaptation on one buffer')
})
