import { pino } from 'pino'
import t from 'tap'
import type { UserInfo } from '../auth/types.js'
import type { AdmissionReviewReply } from './envelope.js'
import { memoryLookups, type MemoryState } from './memory-lookups.js'
import { review, type ReviewMode, type ReviewResult } from './review.js'
import type { AccessAttributes, WebhookLookups } from './types.js'

const log = pino({ level: 'silent' })
const state: MemoryState = {
  policies: { shop: [{ name: 'web', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }] },
  workloads: { shop: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }] },
}

const policy = (spec: Record<string, unknown> = {}, name = 'api'): Record<string, unknown> => ({
  apiVersion: 'foresight.dev/v1alpha1',
  kind: 'ForesightPolicy',
  metadata: { name, namespace: 'shop' },
  spec: { scaleTargetRef: { name: 'api' }, load: { query: 'sum(rate(http_requests_total[2m]))', capacityPerReplica: 50 }, maxReplicas: 10, ...spec },
})

const hpa = (target: Record<string, unknown>, selector: unknown = { matchLabels: { 'foresight.dev/policy': 'web' } }): Record<string, unknown> => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10, metrics: [{ type: 'External', external: { metric: { name: 'foresight_desired_replicas', selector }, target } }] },
})

const POLICY_KIND = { group: 'foresight.dev', version: 'v1alpha1', kind: 'ForesightPolicy' }
const HPA_KIND = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }

function envelope(kind: object, object: unknown, extra: Record<string, unknown> = {}): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind, namespace: 'shop', name: 'x', operation: 'CREATE', object, ...extra } }
}

async function run(body: unknown, mode: ReviewMode = 'validate', s: MemoryState = state, lookupTimeoutMs = 1000): Promise<ReviewResult> {
  return review(body, mode, { lookups: memoryLookups(s), lookupTimeoutMs, log })
}

function response(r: ReviewResult): AdmissionReviewReply['response'] {
  if (!('response' in r.body)) throw new Error(`expected an AdmissionReview, got ${JSON.stringify(r.body)}`)
  return r.body.response
}

t.test('malformed envelopes are HTTP 400 with a Status', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /expected an AdmissionReview object/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }, /expected kind AdmissionReview/],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, /expected apiVersion admission\.k8s\.io\/v1, got "admission\.k8s\.io\/v1beta1"/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /^malformed AdmissionReview: request: required$/],
    ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: POLICY_KIND, operation: 'CREATE', object: {} } }, /request\.uid: required/],
    ['bad operation', envelope(POLICY_KIND, {}, { operation: 'PATCH' }), /request\.operation/],
    ['CREATE without object', envelope(POLICY_KIND, null), /request\.object: an object is required for CREATE/],
  ]
  for (const [name, body, want] of cases) {
    const r = await run(body)
    t.equal(r.httpStatus, 400, name)
    t.match(r.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message: want }, name)
  }
})

t.test('valid policy: allowed, same uid, no warnings', async (t) => {
  const r = await run(envelope(POLICY_KIND, policy()))
  t.equal(r.httpStatus, 200)
  t.same(r.body, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } })
})

t.test('schema errors are denied with every problem listed', async (t) => {
  const res = response(await run(envelope(POLICY_KIND, policy({ maxReplicas: 0, bogus: 1 }))))
  t.equal(res.allowed, false)
  t.match(res.status, { code: 422, reason: 'Invalid', message: /^ForesightPolicy shop\/api is invalid: / })
  t.match(res.status?.message, /spec\.maxReplicas: Too small/)
  t.match(res.status?.message, /spec\.bogus: unknown field/)
})

t.test('targetUtilization: above 1 is admitted up to the schema\'s bound 1.5, beyond it denied with the bound', async (t) => {
  t.same(response(await run(envelope(POLICY_KIND, policy({ targetUtilization: 1.25 })))), { uid: 'u-1', allowed: true })
  t.same(response(await run(envelope(POLICY_KIND, policy({ targetUtilization: 1.5 })))), { uid: 'u-1', allowed: true })
  const res = response(await run(envelope(POLICY_KIND, policy({ targetUtilization: 2 }))))
  t.equal(res.allowed, false)
  t.match(res.status, { code: 422, reason: 'Invalid', message: /spec\.targetUtilization: Too big: expected number to be <=1\.5/ })
})

t.test('schema errors and PromQL errors come in one answer', async (t) => {
  const bad = policy({ maxReplicas: 0, load: { query: 'sum(rate(x[5m])', capacityPerReplica: 50 }, podSignals: { latencyQuery: 42, errorRatioQuery: 'rate(errors[2m]' } })
  const msg = response(await run(envelope(POLICY_KIND, bad))).status?.message ?? ''
  t.match(msg, /spec\.maxReplicas: Too small/)
  t.match(msg, /spec\.load\.query: invalid PromQL/)
  t.match(msg, /spec\.podSignals\.errorRatioQuery: invalid PromQL/)
  // A non-string is the schema's to report, once.
  t.match(msg, /spec\.podSignals\.latencyQuery: /)
  t.notMatch(msg, /latencyQuery: invalid PromQL/)
})

t.test('semantic errors are denied, warnings kept', async (t) => {
  const res = response(await run(envelope(POLICY_KIND, policy({ scaleTargetRef: { name: 'web' }, stepSeconds: 120 }))))
  t.equal(res.allowed, false)
  t.match(res.status?.message, /already targeted by ForesightPolicy web/)
  t.match(res.status?.message, /historySeconds: 3600 is less than/)
})

t.test('a missing target warns', async (t) => {
  const res = response(await run(envelope(POLICY_KIND, policy({ scaleTargetRef: { name: 'ghost' } }))))
  t.equal(res.allowed, true)
  t.match(res.warnings, [/Deployment shop\/ghost does not exist/])
})

t.test('failing or slow lookups degrade to warnings', async (t) => {
  for (const s of [{ failWith: 'forbidden' }, { delayMs: 500 }] satisfies MemoryState[]) {
    const res = response(await run(envelope(POLICY_KIND, policy()), 'validate', s, 50))
    t.equal(res.allowed, true)
    t.equal(res.warnings?.length, 2, res.warnings?.join(' | ') ?? 'no warnings')
    t.match(res.warnings, [/could not check/, /could not check/])
  }
})

t.test('UPDATE: the policy itself is no duplicate; spec-less edits and deletions always pass', async (t) => {
  const self = policy({ scaleTargetRef: { name: 'web' } }, 'web')
  t.equal(response(await run(envelope(POLICY_KIND, self, { operation: 'UPDATE', oldObject: self }))).allowed, true)
  const legacy = policy({ stepSeconds: 120 })
  const relabelled = { ...legacy, metadata: { name: 'api', namespace: 'shop', labels: { a: 'b' } } }
  t.equal(response(await run(envelope(POLICY_KIND, relabelled, { operation: 'UPDATE', oldObject: legacy }))).allowed, true, 'relabelling a legacy object')
  const deleting = { ...legacy, metadata: { name: 'api', namespace: 'shop', deletionTimestamp: '2026-01-01T00:00:00Z' } }
  t.equal(response(await run(envelope(POLICY_KIND, { ...deleting, spec: { ...(legacy.spec as object), minReplicas: 2 } }, { operation: 'UPDATE', oldObject: legacy }))).allowed, true, 'during deletion')
  t.equal(response(await run(envelope(POLICY_KIND, { ...legacy, spec: { ...(legacy.spec as object), minReplicas: 2 } }, { operation: 'UPDATE', oldObject: legacy }))).allowed, false, 'a spec change is judged')
})

t.test('DELETE and CONNECT are allowed', async (t) => {
  for (const operation of ['DELETE', 'CONNECT']) t.equal(response(await run(envelope(POLICY_KIND, null, { operation, oldObject: policy() }))).allowed, true)
})

t.test('mutation returns a base64 JSONPatch', async (t) => {
  const res = response(await run(envelope(POLICY_KIND, policy()), 'mutate'))
  t.equal(res.allowed, true)
  t.equal(res.patchType, 'JSONPatch')
  const ops = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString('utf8')) as Array<{ op: string; path: string }>
  t.ok(ops.some((o) => o.op === 'add' && o.path === '/spec/horizonSeconds'))
  const legacy = policy()
  const relabelled = { ...legacy, metadata: { name: 'api', namespace: 'shop', labels: { a: 'b' } } }
  t.same(response(await run(envelope(POLICY_KIND, relabelled, { operation: 'UPDATE', oldObject: legacy }), 'mutate')), { uid: 'u-1', allowed: true }, 'a relabel is not defaulted')
  const edited = response(await run(envelope(POLICY_KIND, policy({ minReplicas: 2 }), { operation: 'UPDATE', oldObject: legacy }), 'mutate'))
  t.equal(edited.patchType, 'JSONPatch', 'a spec edit is defaulted')
  const invalid = response(await run(envelope(POLICY_KIND, policy({ maxReplicas: 0 })), 'mutate'))
  t.same(invalid, { uid: 'u-1', allowed: true }, 'invalid objects are left to validation')
})

t.test('HPAs', async (t) => {
  const right = response(await run(envelope(HPA_KIND, hpa({ type: 'AverageValue', averageValue: '1' }))))
  t.same(right, { uid: 'u-1', allowed: true })
  const value = response(await run(envelope(HPA_KIND, hpa({ type: 'Value', value: '1' }))))
  t.equal(value.allowed, true)
  t.match(value.warnings, [/Value multiplies/])
  const noSelector = response(await run(envelope(HPA_KIND, hpa({ type: 'AverageValue', averageValue: '1' }, null))))
  t.equal(noSelector.allowed, false)
  t.match(noSelector.status, { code: 422, message: /^HorizontalPodAutoscaler shop\/web is invalid: .*must name one ForesightPolicy/ })
  const missing = response(await run(envelope(HPA_KIND, hpa({ type: 'AverageValue', averageValue: '1' }, { matchLabels: { 'foresight.dev/policy': 'later' } }))))
  t.equal(missing.allowed, true)
  t.match(missing.warnings, [/shop\/later does not exist \(yet\)/])
  const unrelated = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3 } }
  t.same(response(await run(envelope(HPA_KIND, unrelated), 'validate', { failWith: 'down' })), { uid: 'u-1', allowed: true })
  t.same(response(await run(envelope(HPA_KIND, { weird: true }))), { uid: 'u-1', allowed: true }, 'unreadable HPA shapes are not refused')
  t.same(response(await run(envelope(HPA_KIND, hpa({ type: 'Value', value: '1' })), 'mutate')), { uid: 'u-1', allowed: true }, 'HPAs are never mutated')
})

t.test('other kinds are allowed untouched', async (t) => {
  t.same(response(await run(envelope({ group: '', version: 'v1', kind: 'Pod' }, { metadata: {} }))), { uid: 'u-1', allowed: true })
})

t.test('an exception fails closed for policies and open for HPAs', async (t) => {
  const hostile = (): unknown => Object.defineProperty({}, 'metadata', { enumerable: true, get: () => { throw new Error('boom') } })
  const p = response(await run(envelope(POLICY_KIND, hostile())))
  t.equal(p.allowed, false)
  t.match(p.status, { code: 500, reason: 'InternalError', message: /fail closed/ })
  t.notMatch(p.status?.message, /boom/, 'internal details stay in the log')
  const h = response(await run(envelope(HPA_KIND, hostile())))
  t.equal(h.allowed, true)
  t.match(h.warnings, [/admitted without its foresight checks/])
})

t.test('even a broken logger cannot make the review throw', async (t) => {
  const broken = { child: () => { throw new Error('logger down') } } as unknown as typeof log
  const r = await review(envelope(POLICY_KIND, policy()), 'validate', { lookups: memoryLookups(state), lookupTimeoutMs: 100, log: broken })
  t.equal(r.httpStatus, 500)
  t.match(r.body, { kind: 'Status', code: 500, reason: 'InternalError' })
})

t.test('Enforce requires the author to be allowed to evict pods in the namespace', async (t) => {
  const asked: Array<{ user: UserInfo; attrs: AccessAttributes }> = []
  // The fake SubjectAccessReview: alice may evict in shop, nobody else anywhere.
  const s: MemoryState = { ...state, allow: (user, attrs) => { asked.push({ user, attrs }); return user.username === 'alice' && attrs.namespace === 'shop' } }
  const alice = { username: 'alice', uid: 'a-1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['x'] } }
  const mallory = { username: 'mallory', groups: ['system:authenticated'] }
  const enforce = policy({ remediation: { mode: 'Enforce' } })

  const allowed = response(await run(envelope(POLICY_KIND, enforce, { userInfo: alice }), 'validate', s))
  t.equal(allowed.allowed, true, 'alice may create an Enforce policy')
  t.same(asked, [{ user: alice, attrs: { verb: 'create', group: '', version: 'v1', resource: 'pods', subresource: 'eviction', namespace: 'shop' } }], 'one review, for the requesting user, pods/eviction create in the namespace')

  asked.length = 0
  const denied = response(await run(envelope(POLICY_KIND, enforce, { userInfo: mallory }), 'validate', s))
  t.equal(denied.allowed, false)
  t.same(denied.status, {
    code: 403, reason: 'Forbidden',
    message: 'ForesightPolicy shop/api is forbidden: User "mallory" cannot create resource "pods/eviction" in API group "" in the namespace "shop"; remediation mode Enforce makes the foresight controller evict pods on the policy\'s behalf (set mode DryRun, or get that permission)',
  })
  t.same(asked.map((a) => a.user), [{ username: 'mallory', groups: ['system:authenticated'], extra: {} }])

  asked.length = 0
  t.equal(response(await run(envelope(POLICY_KIND, policy({ remediation: { mode: 'DryRun' } }), { userInfo: mallory }), 'validate', s)).allowed, true, 'DryRun needs no permission')
  t.equal(response(await run(envelope(POLICY_KIND, policy(), { userInfo: mallory }), 'validate', s)).allowed, true, 'nor the default mode')
  t.equal(response(await run(envelope(POLICY_KIND, enforce, { operation: 'UPDATE', oldObject: enforce, userInfo: { ...mallory }, object: { ...enforce, metadata: { name: 'api', namespace: 'shop', labels: { a: 'b' } } } }), 'validate', s)).allowed, true, 'relabelling an Enforce policy')
  t.equal(response(await run(envelope(POLICY_KIND, policy({ remediation: { mode: 'DryRun' } }), { operation: 'UPDATE', oldObject: enforce, userInfo: mallory }), 'validate', s)).allowed, true, 'lowering Enforce to DryRun')
  t.same(asked, [], 'none of those asked')

  const raised = response(await run(envelope(POLICY_KIND, policy({ remediation: { mode: 'Enforce', maxRestartsPerHour: 30 } }), { operation: 'UPDATE', oldObject: enforce, userInfo: mallory }), 'validate', s))
  t.match(raised, { allowed: false, status: { code: 403 } }, 'changing the spec of an Enforce policy is checked too')
  const promoted = response(await run(envelope(POLICY_KIND, enforce, { operation: 'UPDATE', oldObject: policy(), userInfo: mallory }), 'validate', s))
  t.match(promoted, { allowed: false, status: { code: 403 } }, 'DryRun to Enforce is checked')
  // A finalizer keeps a deleted policy alive and its spec writable: its rules are moot, the eviction check is not.
  const deleting = (p: Record<string, unknown>): Record<string, unknown> => ({ ...p, metadata: { name: 'api', namespace: 'shop', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['x/hold'] } })
  const promotedWhileDeleting = response(await run(envelope(POLICY_KIND, deleting(enforce), { operation: 'UPDATE', oldObject: deleting(policy()), userInfo: mallory }), 'validate', s))
  t.match(promotedWhileDeleting, { allowed: false, status: { code: 403 } }, 'DryRun to Enforce on a policy being deleted is checked')
  t.equal(response(await run(envelope(POLICY_KIND, deleting(enforce), { operation: 'UPDATE', oldObject: deleting(policy()), userInfo: alice }), 'validate', s)).allowed, true, 'and allowed for who may evict')

  const nobody = response(await run(envelope(POLICY_KIND, enforce), 'validate', s))
  t.match(nobody, { allowed: false, status: { code: 403, message: /the request names no user/ } }, 'a request without userInfo is refused')

  const semantic = policy({ remediation: { mode: 'Enforce' }, stepSeconds: 120 })
  t.match(response(await run(envelope(POLICY_KIND, semantic, { userInfo: mallory }), 'validate', s)).status, { code: 403 }, 'authorization is reported before the semantic rules')
  t.match(response(await run(envelope(POLICY_KIND, semantic, { userInfo: alice }), 'validate', s)).status, { code: 422, message: /historySeconds/ })
  asked.length = 0
  const schemaInvalid = response(await run(envelope(POLICY_KIND, policy({ remediation: { mode: 'Enforce' }, minReplicas: 20 }), { userInfo: mallory }), 'validate', s))
  t.match(schemaInvalid.status, { code: 422 }, 'a policy the schema refuses is refused as invalid, unreviewed')
  t.same(asked, [])
})

t.test('a failing or slow access review denies Enforce without leaking why', async (t) => {
  const enforce = envelope(POLICY_KIND, policy({ remediation: { mode: 'Enforce' } }), { userInfo: { username: 'alice', groups: [] } })
  for (const s of [{ failWith: 'HTTP 403: subjectaccessreviews.authorization.k8s.io is forbidden: secret detail' }, { delayMs: 500, allow: () => true }] satisfies MemoryState[]) {
    const res = response(await run(enforce, 'validate', s, 50))
    t.equal(res.allowed, false)
    t.match(res.status, { code: 500, reason: 'InternalError', message: /^ForesightPolicy shop\/api was not admitted \(fail closed\): the foresight webhook could not verify that user "alice" may create resource "pods\/eviction" in API group "" in the namespace "shop"/ })
    t.notMatch(res.status?.message, /secret detail|forbidden|timed out/)
  }
  const throwing: WebhookLookups = { ...memoryLookups(state), reviewAccess: () => { throw new Error('sync throw') } }
  const r = await review(enforce, 'validate', { lookups: throwing, lookupTimeoutMs: 100, log })
  t.match(response(r), { allowed: false, status: { code: 500 } }, 'even a synchronous throw is a decision')
})

t.test('a namespace named like an Object prototype property is a namespace like any other in the lookups', async (t) => {
  // `constructor` is the one such name that is also a valid namespace (lowercase, no underscores).
  for (const ns of ['constructor', 'shop']) {
    const p = { ...policy(), metadata: { name: 'api', namespace: ns } }
    const r = response(await run(envelope(POLICY_KIND, p, { namespace: ns })))
    t.equal(r.allowed, true, ns)
    t.notMatch(JSON.stringify(r.warnings ?? []), /could not check/, `${ns}: the lookups answered`)
  }
})
