import { pino } from 'pino'
import t from 'tap'
import type { PolicyRef, StatusClient } from '../policy/status.js'
import type { EventInput } from '../kube/events.js'
import { ReasonEvents } from './reason-recorder.js'
import { StatusWriter } from './status-writer.js'
import type { PolicyResult } from './types.js'

class MemoryStatus implements StatusClient {
  status = new Map<string, unknown>()
  patches = 0
  fail = false
  /** Which call answers 404 Not Found, as the apiserver does for a deleted policy. */
  gone: 'get' | 'patch' | undefined
  async get(ref: PolicyRef): Promise<{ resourceVersion: string; status: unknown; uid: string }> {
    if (this.gone === 'get') throw Object.assign(new Error('HTTP-Code: 404 Message: Not Found'), { code: 404 })
    return { resourceVersion: String(this.patches), status: this.status.get(`${ref.namespace}/${ref.name}`), uid: `uid-${ref.name}` }
  }
  async patch(ref: PolicyRef, body: Record<string, unknown>): Promise<void> {
    if (this.gone === 'patch') throw Object.assign(new Error('HTTP-Code: 404 Message: Not Found'), { code: 404 })
    if (this.fail) throw Object.assign(new Error('apiserver down'), { code: 503 })
    this.patches++
    const key = `${ref.namespace}/${ref.name}`
    this.status.set(key, { ...(this.status.get(key) as object | undefined), ...(body.status as object) })
  }
}

const result = (name: string, over: Partial<PolicyResult> = {}): PolicyResult => ({
  policy: `default/${name}`, namespace: 'default', name, desiredReplicas: 4, reason: 'Predicted', message: 'forecast peak 1.0 needs 4',
  dataTimeMs: 0, computedAtMs: 0, modelVersion: '0.1.0',
  explain: { stepSeconds: 60, horizonSteps: 5, capacityPerReplica: 1, bounds: { minReplicas: 1, maxReplicas: 10 }, failures: 0, errors: [] },
  ...over,
})

t.test('writes conditions once per visible change', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }))
  t.equal(await w.write([result('web')], 1_000), 1)
  t.match(client.status.get('default/web'), { desiredReplicas: 4, reason: 'Predicted', modelVersion: '0.1.0', conditions: [{ type: 'Ready', status: 'True', reason: 'Predicted' }, { type: 'Predicting', status: 'True' }] })
  t.equal(await w.write([result('web', { message: 'forecast peak 1.1 needs 4' })], 2_000), 0, 'a new message alone is not worth a write')
  t.equal(await w.write([result('web', { reason: 'StaleValue', message: 'Prometheus down' })], 3_000), 1)
  t.match(client.status.get('default/web'), { reason: 'StaleValue', conditions: [{ type: 'Ready', status: 'True', reason: 'StaleValue' }, { type: 'Predicting', status: 'False', reason: 'StaleValue', message: 'Prometheus down' }] })
  t.equal(await w.write([result('web', { reason: 'NoData', desiredReplicas: undefined })], 4_000), 1)
  t.match(client.status.get('default/web'), { reason: 'NoData', conditions: [{ type: 'Ready', status: 'False', reason: 'NoData' }] })
})

t.test('bounded writes per round; failures are retried on the next round', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }), 2)
  const many = ['a', 'b', 'c', 'd', 'e'].map((n) => result(n))
  t.equal(await w.write(many, 0), 2)
  t.equal(await w.write(many, 0), 2)
  t.equal(await w.write(many, 0), 1)
  client.fail = true
  t.equal(await w.write([result('a', { desiredReplicas: 9 })], 0), 1, 'attempted')
  client.fail = false
  t.equal(await w.write([result('a', { desiredReplicas: 9 })], 0), 1, 'and attempted again, since it was not written')
  t.match(client.status.get('default/a'), { desiredReplicas: 9 })
})

t.test('a policy deleted and re-created under the same name gets its status written again', async (t) => {
  for (const where of ['get', 'patch'] as const) {
    const client = new MemoryStatus()
    const w = new StatusWriter(client, pino({ level: 'silent' }))
    t.equal(await w.write([result('web')], 0), 1)
    t.equal(w.tracked, 1)
    // Deleted: the write of the next visible change answers 404.
    client.gone = where
    t.equal(await w.write([result('web', { desiredReplicas: 5 })], 1_000), 1, `attempted (404 on ${where})`)
    t.equal(w.tracked, 0, `a 404 on ${where} drops what was written`)
    // Re-created with an empty status; the engine's view is the one first written.
    client.gone = undefined
    client.status.delete('default/web')
    t.equal(await w.write([result('web')], 2_000), 1, `written after the 404 on ${where}`)
    t.match(client.status.get('default/web'), { desiredReplicas: 4, conditions: [{ type: 'Ready', status: 'True', reason: 'Predicted' }] })
  }
})

t.test('forget drops the policies that no longer exist', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }))
  t.equal(await w.write([result('a'), result('b'), result('c')], 0), 3)
  w.forget(new Set(['default/b']))
  t.equal(w.tracked, 1)
  t.equal(await w.write([result('a'), result('b'), result('c')], 0), 2, 'a and c are written again, b is unchanged')
})

t.test('while a policy fails, its status is rewritten at most once a minute, so it says how recent it is', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }))
  const failing = (n: number, atMs: number): PolicyResult => result('web', { reason: 'StaleValue', message: `serving the last good value after ${n} failed refresh(es): unable to query Prometheus`, computedAtMs: atMs })
  t.equal(await w.write([result('web')], 0), 1)
  const writes: number[] = []
  // Refreshed every 15 s for five minutes, failing throughout.
  for (let n = 1; n <= 20; n++) {
    const atMs = n * 15_000
    if (await w.write([failing(n, atMs)], atMs) === 1) writes.push(atMs)
  }
  t.same(writes, [15_000, 75_000, 135_000, 195_000, 255_000], 'the change at once, then once a minute')
  t.match(client.status.get('default/web'), {
    lastRefreshTime: new Date(255_000).toISOString(),
    conditions: [{ type: 'Ready', reason: 'StaleValue', message: /after 17 failed refresh\(es\)/ }],
  })
  // Healthy again: written at once, then only on visible changes.
  t.equal(await w.write([result('web', { computedAtMs: 300_000 })], 300_000), 1)
  t.equal(await w.write([result('web', { computedAtMs: 400_000, message: 'forecast peak 1.2 needs 4' })], 400_000), 0)
})

t.test('with many policies failing, visible changes go first and the periodic rewrites take turns', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }), 2)
  const names = ['a', 'b', 'c', 'd', 'e']
  const failing = (name: string, atMs: number): PolicyResult => result(name, { reason: 'StaleValue', message: `failing at ${atMs}`, computedAtMs: atMs })
  let nowMs = 0
  const round = async (over: (name: string) => PolicyResult): Promise<string[]> => {
    const before = new Map(names.map((n) => [n, JSON.stringify(client.status.get(`default/${n}`))]))
    await w.write(names.map(over), nowMs)
    return names.filter((n) => JSON.stringify(client.status.get(`default/${n}`)) !== before.get(n))
  }
  for (; nowMs <= 30_000; nowMs += 15_000) await round((n) => failing(n, nowMs))
  t.same(names.map((n) => client.status.get(`default/${n}`) !== undefined), [true, true, true, true, true], 'every policy written once, two per round')
  const written: string[][] = []
  for (nowMs = 60_000; nowMs <= 150_000; nowMs += 15_000) written.push(await round((n) => failing(n, nowMs)))
  t.same(new Set(written.flat()), new Set(names), 'every failing policy is rewritten, not only the first ones')
  // All five due again, and e recovering: its change is written first, whatever the order of the results.
  nowMs += 60_000
  const next = await round((n) => (n === 'e' ? result('e', { computedAtMs: nowMs }) : failing(n, nowMs)))
  t.equal(next.length, 2)
  t.ok(next.includes('e'), `the visible change is among this round's writes (${next.join(', ')})`)
  t.match(client.status.get('default/e'), { conditions: [{ type: 'Ready', reason: 'Predicted' }] })
})

function withEvents(client: MemoryStatus, sent: EventInput[], fail = { now: false }): StatusWriter {
  const events = new ReasonEvents({ emit: async (e) => { if (fail.now) return false; sent.push(e); return true }, log: pino({ level: 'silent' }), minIntervalMs: 60_000 })
  return new StatusWriter(client, pino({ level: 'silent' }), 50, events)
}

t.test('a change of the served reason becomes an Event on the policy, rate limited', async (t) => {
  const client = new MemoryStatus()
  const sent: EventInput[] = []
  const w = withEvents(client, sent)
  await w.write([result('web')], 0)
  t.match(sent, [{ regarding: { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', namespace: 'default', name: 'web', uid: 'uid-web' }, reason: 'Predicted', type: 'Normal', action: 'Serve' }], 'a new policy: its first reason')
  await w.write([result('web', { reason: 'StaleValue', message: 'unable to query Prometheus' })], 60_000)
  t.match(sent[1], { reason: 'StaleValue', type: 'Warning', note: 'serving 4 replicas (StaleValue): unable to query Prometheus [was Predicted]' })
  await w.write([result('web', { reason: 'Fallback', desiredReplicas: 2, message: 'fallback' })], 75_000)
  await w.write([result('web', { reason: 'StaleValue' })], 90_000)
  t.equal(sent.length, 2, 'changes within a minute of the last event wait')
  await w.write([result('web', { reason: 'StaleValue' })], 120_000)
  t.equal(sent.length, 2, 'back to the reason announced: nothing to say')
  await w.write([result('web', { reason: 'Fallback', desiredReplicas: 2, message: 'fallback' })], 135_000)
  t.match(sent[2], { reason: 'Fallback', type: 'Warning', note: /\[was StaleValue; 3 changes since the last event\]$/ })
})

t.test('two adapter replicas writing the same change make one Event', async (t) => {
  const client = new MemoryStatus()
  const sent: EventInput[] = []
  const a = withEvents(client, sent)
  const b = withEvents(client, sent)
  await a.write([result('web')], 0)
  await b.write([result('web')], 0)
  await a.write([result('web', { reason: 'Fallback', desiredReplicas: 2 })], 100_000)
  await b.write([result('web', { reason: 'Fallback', desiredReplicas: 2 })], 100_000)
  t.same(sent.map((e) => e.reason), ['Predicted', 'Fallback'])
})

t.test('an Event the apiserver refused is sent in a later round', async (t) => {
  const client = new MemoryStatus()
  const sent: EventInput[] = []
  const fail = { now: true }
  const w = withEvents(client, sent, fail)
  await w.write([result('web', { reason: 'ColdStart' })], 0)
  t.equal(sent.length, 0)
  fail.now = false
  await w.write([result('web', { reason: 'ColdStart' })], 15_000)
  t.match(sent, [{ reason: 'ColdStart', type: 'Normal' }], 'the status was written once, the event followed')
  t.equal(client.patches, 1)
})

t.test('a round over many results gives the event loop turns while it looks at them', async (t) => {
  const client = new MemoryStatus()
  const w = new StatusWriter(client, pino({ level: 'silent' }), 0)
  let looked = 0
  function* results(): Generator<PolicyResult> {
    for (let i = 0; i < 1000; i++) {
      looked++
      yield result(`p${i}`)
    }
  }
  let lookedWhenATurnCame: number | undefined
  setImmediate(() => { lookedWhenATurnCame = looked })
  await w.write(results(), 1_000)
  t.equal(looked, 1000)
  t.ok(lookedWhenATurnCame !== undefined && lookedWhenATurnCame < 1000, `another callback ran after ${lookedWhenATurnCame} of 1000, not after all of them`)
})
