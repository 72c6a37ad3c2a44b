import { pino } from 'pino'
import { Registry } from 'prom-client'
import t from 'tap'
import { HORIZON_STEPS } from '../forecast/windows.js'
import type { LoadedModel } from '../model/runtime.js'
import { policySchema, type Policy } from '../policy/schema.js'
import type { PolicyRef, StatusClient } from '../policy/status.js'
import { Engine } from './engine.js'
import { RefreshLoop } from './loop.js'
import { EngineMetricProvider } from './metric-provider.js'
import { StatusWriter } from './status-writer.js'
import type { HistoryReader, WindowResult } from '../ports.js'

// The refresh loop around an engine with a stand-in model (the real one is exercised in engine.test.ts): a
// constant load of 1 at 0.25 per replica needs 4 replicas, and the stand-in forecasts the same.

const log = pino({ level: 'silent' })
const model: LoadedModel = {
  meta: { version: '0.0.0-test' } as LoadedModel['meta'],
  forecast: (_b, count) => Promise.resolve(new Float32Array(count * HORIZON_STEPS * 3).fill(1)),
  close: () => Promise.resolve(),
}
const constant: HistoryReader = {
  read: async (policies, range) => {
    const stepMs = range.stepSeconds * 1000
    const n = Math.round((range.endMs - range.startMs) / stepMs) + 1
    return new Map(policies.map((p): [string, WindowResult] => [`${p.metadata.namespace}/${p.metadata.name}`, { ok: true, window: { values: new Float64Array(n).fill(1), startMs: range.startMs, stepMs } }]))
  },
}

const policy = (name: string): Policy => policySchema.parse({
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name, namespace: 'default' },
  spec: { scaleTargetRef: { name }, load: { query: 'sum(rate(x[2m]))', capacityPerReplica: 0.25 }, maxReplicas: 20, maxStalenessSeconds: 60, fallback: { behavior: 'static', replicas: 9 } },
})

class MemoryStatus implements StatusClient {
  status = new Map<string, unknown>()
  patches = 0
  async get(ref: PolicyRef): Promise<{ resourceVersion: string; status: unknown }> {
    return { resourceVersion: String(this.patches), status: this.status.get(`${ref.namespace}/${ref.name}`) }
  }
  async patch(ref: PolicyRef, body: Record<string, unknown>): Promise<void> {
    this.patches++
    const key = `${ref.namespace}/${ref.name}`
    this.status.set(key, { ...(this.status.get(key) as object | undefined), ...(body.status as object) })
  }
}

class FlakyEngine extends Engine {
  rejecting = false
  override async refresh(policies: readonly Policy[]): ReturnType<Engine['refresh']> {
    if (this.rejecting) throw new Error('a bug in the refresh')
    return super.refresh(policies)
  }
}

function setup(): { engine: FlakyEngine; loop: RefreshLoop; client: MemoryStatus; writer: StatusWriter; registry: Registry; clock: { now: number }; policies: { list: Policy[] } } {
  const clock = { now: Date.UTC(2025, 0, 6, 12) }
  const engine = new FlakyEngine({ model, history: constant, log, now: () => clock.now })
  const client = new MemoryStatus()
  const writer = new StatusWriter(client, log)
  const registry = new Registry()
  const policies = { list: [policy('web')] }
  const loop = new RefreshLoop({ engine, source: new EngineMetricProvider(engine), policies: () => policies.list, intervalMs: 15_000, registry, log, status: writer })
  return { engine, loop, client, writer, registry, clock, policies }
}

t.test('a deleted policy is forgotten, so one re-created with the same name and view gets its status', async (t) => {
  const { loop, client, writer, policies } = setup()
  await loop.refreshOnce()
  await loop.statusWritten()
  t.equal(client.patches, 1)
  t.match(client.status.get('default/web'), { desiredReplicas: 4, conditions: [{ type: 'Ready', status: 'True', reason: 'Predicted' }] })

  policies.list = []
  await loop.refreshOnce()
  await loop.statusWritten()
  t.equal(writer.tracked, 0, 'nothing kept for the deleted policy')

  // Re-created: a new object with an empty status, and the engine computes the same view as before.
  client.status.delete('default/web')
  policies.list = [policy('web')]
  await loop.refreshOnce()
  await loop.statusWritten()
  t.equal(client.patches, 2, 'written again')
  t.match(client.status.get('default/web'), { desiredReplicas: 4, conditions: [{ type: 'Ready', status: 'True', reason: 'Predicted' }] })
})

t.test('a refresh that rejects still publishes what the engine serves, so /metrics and the status do not freeze', async (t) => {
  const { engine, loop, client, registry, clock } = setup()
  await loop.refreshOnce()
  await loop.statusWritten()
  t.match(await registry.getSingleMetricAsString('foresight_desired_replicas'), /^foresight_desired_replicas\{namespace="default",policy="web",reason="Predicted"\} 4$/m)

  engine.rejecting = true
  clock.now += 61_000 // past maxStalenessSeconds (60 s) with no refresh landing
  await loop.refreshOnce()
  await loop.statusWritten()
  const desired = await registry.getSingleMetricAsString('foresight_desired_replicas')
  t.match(desired, /^foresight_desired_replicas\{namespace="default",policy="web",reason="Fallback"\} 9$/m)
  t.notMatch(desired, /reason="Predicted"/)
  t.match(client.status.get('default/web'), { desiredReplicas: 9, conditions: [{ type: 'Ready', status: 'True', reason: 'Fallback' }, { type: 'Predicting', status: 'False' }] })
})
