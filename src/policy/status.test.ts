import { loadKubeClient } from '../kube/load.js'
import t from 'tap'
import { startKubeWatchStandIn } from '../../test/helpers/kube-watch-standin.js'
import type { Condition, PolicyStatus } from './schema.js'
import { StatusConflictError, kubeStatusClient, mergePatch, setCondition, updatePolicyStatus, type PolicyRef, type StatusClient } from './status.js'

const T0 = new Date('2026-01-01T00:00:00Z')
const T1 = new Date('2026-01-01T00:05:00Z')
const ready = (status: Condition['status'], reason: string, message = '', at = T0): Condition =>
  ({ type: 'Ready', status, reason, message, lastTransitionTime: at.toISOString() })
const other: Condition = { type: 'Remediating', status: 'False', reason: 'Idle', message: '', lastTransitionTime: T0.toISOString() }

t.test('setCondition', async (t) => {
  const cases: Array<[string, Condition[] | undefined, Parameters<typeof setCondition>[1], Condition[]]> = [
    ['first condition on an empty status', undefined, { type: 'Ready', status: 'True', reason: 'Serving', message: '' }, [ready('True', 'Serving', '', T1)]],
    ['new type appended after the others', [other], { type: 'Ready', status: 'True', reason: 'Serving', message: '' }, [other, ready('True', 'Serving', '', T1)]],
    ['same status, new reason: time kept', [ready('True', 'Serving'), other], { type: 'Ready', status: 'True', reason: 'Fallback', message: 'stale' }, [ready('True', 'Fallback', 'stale'), other]],
    ['status flips: time moves', [other, ready('True', 'Serving')], { type: 'Ready', status: 'False', reason: 'NoData', message: 'query failed' }, [other, ready('False', 'NoData', 'query failed', T1)]],
    ['observedGeneration recorded', [ready('True', 'Serving')], { type: 'Ready', status: 'True', reason: 'Serving', message: '', observedGeneration: 4 }, [{ ...ready('True', 'Serving'), observedGeneration: 4 }]],
  ]
  for (const [name, before, input, after] of cases) {
    const frozen = before === undefined ? undefined : Object.freeze(before.map((c) => Object.freeze({ ...c })))
    t.same(setCondition(frozen, input, T1), after, name)
  }
  const list = [ready('True', 'Serving', 'ok'), other]
  t.equal(setCondition(list, { type: 'Ready', status: 'True', reason: 'Serving', message: 'ok' }, T1), list, 'unchanged: the same array comes back')
})

t.test('mergePatch', async (t) => {
  const cases: Array<[string, unknown, unknown, unknown]> = [
    ['equal', { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, undefined],
    ['changed leaf', { a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    ['removed key becomes null', { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ['undefined counts as removed', { a: 1, b: 2 }, { a: 1, b: undefined }, { b: null }],
    ['nested objects diffed', { r: { pod: 'p', time: 't' } }, { r: { pod: 'q', time: 't' } }, { r: { pod: 'q' } }],
    ['arrays replaced whole', { c: [{ x: 1 }, { x: 2 }] }, { c: [{ x: 1 }, { x: 3 }] }, { c: [{ x: 1 }, { x: 3 }] }],
    ['from nothing', {}, { desiredReplicas: 3 }, { desiredReplicas: 3 }],
  ]
  for (const [name, from, to, want] of cases) t.same(mergePatch(from, to), want, name)
})

/** A client whose object another writer changes `interferences` times, each between our read and our write. */
function racingClient(interferences: number): StatusClient & { patches: Array<Record<string, unknown>>; object: { rv: number; status: PolicyStatus } } {
  const object = { rv: 1, status: { desiredReplicas: 1 } as PolicyStatus }
  const patches: Array<Record<string, unknown>> = []
  let left = interferences
  return {
    object,
    patches,
    async get() {
      const snapshot = { resourceVersion: String(object.rv), status: structuredClone(object.status) }
      if (left-- > 0) object.rv++
      return snapshot
    },
    async patch(_ref, body) {
      patches.push(body)
      if ((body.metadata as { resourceVersion: string }).resourceVersion !== String(object.rv)) throw Object.assign(new Error('Conflict'), { code: 409 })
      object.status = { ...object.status, ...(body.status as PolicyStatus) }
      object.rv++
    },
  }
}

const ref: PolicyRef = { namespace: 'default', name: 'demo' }

t.test('updatePolicyStatus retries 409 Conflicts from a fresh read', async (t) => {
  const client = racingClient(2)
  let calls = 0
  const r = await updatePolicyStatus(client, ref, (s) => { calls++; return { ...s, desiredReplicas: (s.desiredReplicas ?? 0) + 1 } })
  t.match(r, { written: true, attempts: 3, status: { desiredReplicas: 2 } })
  t.equal(calls, 3, 'update recomputed each attempt')
  t.same(client.patches.map((p) => (p.metadata as { resourceVersion: string }).resourceVersion), ['1', '2', '3'], 'each patch carries the version it read')
  t.same(client.object.status, { desiredReplicas: 2 })
})

t.test('updatePolicyStatus gives up after maxAttempts, skips no-op writes, rethrows other errors', async (t) => {
  await t.rejects(updatePolicyStatus(racingClient(10), ref, (s) => ({ ...s, modelVersion: 'v2' }), { maxAttempts: 3 }), StatusConflictError)
  const idle = racingClient(0)
  const r = await updatePolicyStatus(idle, ref, (s) => ({ ...s }))
  t.match(r, { written: false, attempts: 1 })
  t.equal(idle.patches.length, 0)
  const broken: StatusClient = { get: async () => ({ resourceVersion: '1', status: {} }), patch: async () => { throw Object.assign(new Error('Forbidden'), { code: 403 }) } }
  await t.rejects(updatePolicyStatus(broken, ref, () => ({ desiredReplicas: 2 })), /Forbidden/)
})

t.test('kubeStatusClient against the status subresource', async (t) => {
  const standIn = await startKubeWatchStandIn()
  t.teardown(() => standIn.close())
  const client = kubeStatusClient(await loadKubeClient(standIn.kubeconfigFile))
  standIn.put({ apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'demo', namespace: 'default' }, spec: {}, status: { desiredReplicas: 1, futureField: 'kept' } })

  let first = true
  const r = await updatePolicyStatus(client, ref, (s) => {
    // Another writer lands between this read and the write: the apiserver must refuse the stale patch.
    if (first) standIn.put({ ...(standIn.get('default', 'demo') ?? ({} as never)), status: { desiredReplicas: 7, futureField: 'kept' } })
    first = false
    return { ...s, conditions: [...setCondition(s.conditions, { type: 'Ready', status: 'True', reason: 'Serving', message: '' }, T0)] }
  })
  t.match(r, { written: true, attempts: 2 })
  t.equal(standIn.calls.statusPatches[0]?.contentType, 'application/merge-patch+json')
  t.match(standIn.get('default', 'demo')?.status, { desiredReplicas: 7, futureField: 'kept', conditions: [{ type: 'Ready', status: 'True' }] }, 'nothing lost')

  await t.rejects(updatePolicyStatus(client, { namespace: 'default', name: 'missing' }, (s) => s), { code: 404 })

  // The read brings the spec as it is now, and each update sees the spec of the read it runs on.
  standIn.put({ ...(standIn.get('default', 'demo') ?? ({} as never)), spec: { remediation: { mode: 'Enforce' } } })
  t.match(await client.get(ref, AbortSignal.timeout(5_000)), { spec: { remediation: { mode: 'Enforce' } }, status: { desiredReplicas: 7 } })
  standIn.put({ ...(standIn.get('default', 'demo') ?? ({} as never)), spec: { remediation: { mode: 'Off' } } })
  const seen: unknown[] = []
  await updatePolicyStatus(client, ref, (s, spec) => { seen.push(spec); return s })
  t.same(seen, [{ remediation: { mode: 'Off' } }], 'a change is seen at once')
})
