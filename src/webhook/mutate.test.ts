import t from 'tap'
import { parsePolicy } from '../policy/validate.js'
import { defaultingPatch, pointerToken, type JsonPatchOp } from './mutate.js'

// A minimal RFC 6902 `add` applier: enough to prove the patch turns the submitted object into the defaulted one.
function apply(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>
  for (const op of ops) {
    const tokens = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    const last = tokens.pop()
    if (last === undefined) throw new Error(`bad path ${op.path}`)
    let node: Record<string, unknown> = copy
    for (const tok of tokens) {
      const next = node[tok]
      if (typeof next !== 'object' || next === null) throw new Error(`missing parent for ${op.path}`)
      node = next as Record<string, unknown>
    }
    node[last] = structuredClone(op.value)
  }
  return copy
}

const base = {
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
  spec: { scaleTargetRef: { name: 'web' }, load: { query: 'sum(rate(x[2m]))', capacityPerReplica: 50 }, maxReplicas: 20 },
}

t.test('the patch yields the schema-defaulted object', async (t) => {
  const ops = defaultingPatch(base)
  t.ok(ops.every((o) => o.op === 'add' && o.path.startsWith('/spec/')))
  const patched = apply(base, ops)
  const parsed = parsePolicy(base)
  if (!parsed.ok) throw new Error('fixture invalid')
  t.same((patched as { spec: unknown }).spec, parsed.policy.spec)
  t.same((patched as { metadata: unknown }).metadata, base.metadata, 'metadata untouched')
  t.same(defaultingPatch(patched), [], 'idempotent: a defaulted object needs no patch')
})

t.test('whole missing objects are added in one op; partial ones field by field', async (t) => {
  const ops = defaultingPatch({ ...base, spec: { ...base.spec, remediation: { mode: 'Enforce' } } })
  const paths = ops.map((o) => o.path)
  t.ok(paths.includes('/spec/scaleDown'))
  t.ok(paths.includes('/spec/scaleTargetRef/kind') && paths.includes('/spec/scaleTargetRef/apiVersion'))
  t.notOk(paths.includes('/spec/remediation'))
  t.notOk(paths.includes('/spec/remediation/mode'), 'values the user wrote are kept')
  t.ok(paths.includes('/spec/remediation/maxUnavailable'))
  t.notOk(paths.includes('/spec/podSignals'), 'optional objects without defaults stay absent')
  t.same(ops.find((o) => o.path === '/spec/scaleDown')?.value, { stabilizationSeconds: 300, maxDecreasePercentPerMinute: 100 })
})

t.test('a policy written before spec.targetUtilization existed is stored with its default, 1: the p90 forecast may use all of capacityPerReplica, as before', async (t) => {
  t.same(defaultingPatch(base).find((o) => o.path === '/spec/targetUtilization'), { op: 'add', path: '/spec/targetUtilization', value: 1 })
  t.notOk(defaultingPatch({ ...base, spec: { ...base.spec, targetUtilization: 0.8 } }).some((o) => o.path === '/spec/targetUtilization'), 'a value the user wrote is kept')
})

t.test('objects created with generateName (no name yet) are defaulted too', async (t) => {
  const ops = defaultingPatch({ ...base, metadata: { generateName: 'web-', namespace: 'shop' } })
  t.ok(ops.some((o) => o.path === '/spec/horizonSeconds'))
  t.notOk(ops.some((o) => o.path.startsWith('/metadata')))
})

t.test('invalid or non-policy input gets no patch', async (t) => {
  t.same(defaultingPatch(null), [])
  t.same(defaultingPatch({ ...base, spec: 'x' }), [])
  t.same(defaultingPatch({ ...base, spec: { ...base.spec, maxReplicas: 0 } }), [])
})

t.test('pointer escaping', async (t) => {
  t.equal(pointerToken('a/b~c'), 'a~1b~0c')
})
