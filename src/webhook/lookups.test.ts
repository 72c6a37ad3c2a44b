import t from 'tap'
import { summarize, unavailableLookups } from './lookups.js'

t.test('summaries apply the scaleTargetRef defaults and skip unreadable objects', async (t) => {
  t.same(summarize({ metadata: { name: 'a' }, spec: { scaleTargetRef: { name: 'web' } } }), { name: 'a', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } })
  t.same(summarize({ metadata: { name: 'b' }, spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db' } } })?.target.kind, 'StatefulSet')
  t.equal(summarize({ metadata: { name: 'c' }, spec: {} }), undefined)
  t.equal(summarize({ spec: { scaleTargetRef: { name: 'web' } } }), undefined)
  t.equal(summarize(null), undefined)
})

t.test('unavailable lookups reject with the reason', async (t) => {
  const l = unavailableLookups('no cluster configured')
  await t.rejects(l.policiesInNamespace('x'), /no cluster configured/)
  await t.rejects(l.findPolicy('x', 'y'), /no cluster configured/)
  await t.rejects(l.targetExists('x', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'y' }), /no cluster configured/)
})
