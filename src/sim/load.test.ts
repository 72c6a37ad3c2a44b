import t from 'tap'
import { policySchema } from '../policy/schema.js'
import { demandAt, fromRows, lastSampleIndex, SeriesHistory } from './load.js'

const policy = policySchema.parse({ apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'w' }, spec: { scaleTargetRef: { name: 'w' }, load: { query: 'x', capacityPerReplica: 1 }, maxReplicas: 10 } })

t.test('a sample describes the step ending at its time stamp', async (t) => {
  // Rows 10, 20, 30 for minutes [0,1), [1,2), [2,3): samples stamped at 1, 2, 3 minutes.
  const load = fromRows(Float64Array.from([10, 20, 30]), 0, 60_000)
  t.equal(load.startMs, 60_000)
  t.equal(demandAt(load, 0), 10, 'during the first minute the first row is offered')
  t.equal(demandAt(load, 59_999), 10)
  t.equal(demandAt(load, 60_000), 20)
  t.equal(lastSampleIndex(load, 59_999), -1, 'nothing is known before the first minute has ended')
  t.equal(lastSampleIndex(load, 120_000), 1, 'at 2:00 the row for [1:00, 2:00) is complete')
  t.ok(Number.isNaN(demandAt(load, 180_000)), 'past the end the demand is unknown')
})

t.test('the history reader answers what Prometheus would, never a later sample', async (t) => {
  const load = fromRows(Float64Array.from([1, 2, 3, 4, 5]), 0, 60_000)
  const h = new SeriesHistory(load)
  const r = (await h.read([policy], { startMs: 0, endMs: 180_000, stepSeconds: 60 })).get('default/w')
  if (r?.ok !== true) return t.fail('no window')
  t.same([...r.window.values].map((v) => (Number.isNaN(v) ? null : v)), [null, 1, 2, 3], 'the sample at 3:00 is the row of [2:00, 3:00)')
  t.equal(r.window.startMs, 0)
  const mid = (await h.read([policy], { startMs: 150_000, endMs: 150_000, stepSeconds: 60 })).get('default/w')
  t.same(mid?.ok === true ? [...mid.window.values] : [], [2], 'between samples: the newest at or before the time')
})
