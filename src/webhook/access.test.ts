import t from 'tap'
import { evictionAttributes, evictionReviewNeeded, requestUser, type PolicyWrite } from './access.js'
import type { AdmissionRequest } from './envelope.js'

const spec = (remediation: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10, remediation, ...extra,
})
const enforce = spec({ mode: 'Enforce' })
const dryRun = spec({ mode: 'DryRun' })

t.test('when the author of a write must be allowed to evict', async (t) => {
  const cases: Array<[string, PolicyWrite, boolean]> = [
    ['CREATE DryRun', { operation: 'CREATE', mode: 'DryRun', spec: dryRun }, false],
    ['CREATE Off', { operation: 'CREATE', mode: 'Off', spec: spec({ mode: 'Off' }) }, false],
    ['CREATE Enforce', { operation: 'CREATE', mode: 'Enforce', spec: enforce }, true],
    ['UPDATE DryRun to Enforce', { operation: 'UPDATE', mode: 'Enforce', spec: enforce, oldSpec: dryRun }, true],
    ['UPDATE Off to Enforce', { operation: 'UPDATE', mode: 'Enforce', spec: enforce, oldSpec: spec({ mode: 'Off' }) }, true],
    ['UPDATE Enforce, scaleTargetRef changed', { operation: 'UPDATE', mode: 'Enforce', spec: { ...enforce, scaleTargetRef: { name: 'api' } }, oldSpec: enforce }, true],
    ['UPDATE Enforce, podSignals changed', { operation: 'UPDATE', mode: 'Enforce', spec: spec({ mode: 'Enforce' }, { podSignals: { errorRatioQuery: 'x' } }), oldSpec: enforce }, true],
    ['UPDATE Enforce, budget raised', { operation: 'UPDATE', mode: 'Enforce', spec: spec({ mode: 'Enforce', maxRestartsPerHour: 60 }), oldSpec: enforce }, true],
    ['UPDATE Enforce, any other spec field', { operation: 'UPDATE', mode: 'Enforce', spec: { ...enforce, maxReplicas: 20 }, oldSpec: enforce }, true],
    ['UPDATE Enforce, spec unchanged (metadata edit)', { operation: 'UPDATE', mode: 'Enforce', spec: enforce, oldSpec: structuredClone(enforce) }, false],
    ['UPDATE Enforce, no old object', { operation: 'UPDATE', mode: 'Enforce', spec: enforce }, true],
    ['UPDATE Enforce to DryRun', { operation: 'UPDATE', mode: 'DryRun', spec: dryRun, oldSpec: enforce }, false],
    ['UPDATE Enforce to Off', { operation: 'UPDATE', mode: 'Off', spec: spec({ mode: 'Off' }), oldSpec: enforce }, false],
    ['UPDATE DryRun, spec changed', { operation: 'UPDATE', mode: 'DryRun', spec: { ...dryRun, maxReplicas: 20 }, oldSpec: dryRun }, false],
  ]
  for (const [name, write, want] of cases) t.equal(evictionReviewNeeded(write), want, name)
})

t.test('the permission asked for', async (t) => {
  t.same(evictionAttributes('shop'), { verb: 'create', group: '', version: 'v1', resource: 'pods', subresource: 'eviction', namespace: 'shop' })
})

t.test('request.userInfo becomes the reviewed user', async (t) => {
  const req = (userInfo: unknown): AdmissionRequest => ({ uid: 'u', kind: { group: '', version: 'v1', kind: 'X' }, operation: 'CREATE', userInfo })
  t.same(requestUser(req({ username: 'alice', uid: '42', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a', 'b'] } })),
    { username: 'alice', uid: '42', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a', 'b'] } })
  t.same(requestUser(req({ username: 'bob' })), { username: 'bob', groups: [], extra: {} }, 'missing groups and extra are empty')
  t.same(requestUser(req({ username: 'bob', uid: '', groups: null, extra: { k: null } })), { username: 'bob', groups: [], extra: { k: [] } }, 'empty uid and nulls dropped')
  t.equal(requestUser(req(undefined)), undefined, 'no userInfo')
  t.equal(requestUser(req({ username: '' })), undefined, 'empty username')
  t.equal(requestUser(req({ username: 'x', groups: 'dev' })), undefined, 'unreadable userInfo')
})
