import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import t from 'tap'
import { kubeLookups, summarize, unavailableLookups } from './lookups.js'

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
  await t.rejects(l.reviewAccess({ username: 'a', groups: [], extra: {} }, { verb: 'create', group: '', version: 'v1', resource: 'pods', namespace: 'x' }), /no cluster configured/)
})

t.test('kubeLookups against a stand-in apiserver', async (t) => {
  const seen: string[] = []
  const reviews: unknown[] = []
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    seen.push(url)
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    const status = (code: number, reason: string): void => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message: `${reason} ${url}` })
    if (url.includes('/namespaces/slow/')) {
      setTimeout(() => status(404, 'NotFound'), 2_000).unref()
      return
    }
    if (url.includes('/namespaces/locked/')) return status(403, 'Forbidden')
    if (req.method === 'POST' && url.startsWith('/apis/authorization.k8s.io/v1/subjectaccessreviews')) {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { spec: { user: string; resourceAttributes: { namespace: string } } }
        reviews.push(body.spec)
        if (body.spec.resourceAttributes.namespace === 'locked') return status(403, 'Forbidden')
        const allowed = body.spec.user === 'alice'
        send(201, { ...body, status: { allowed, ...(allowed ? { reason: 'RBAC: allowed' } : { denied: body.spec.user === 'eve' }) } })
      })
      return
    }
    if (url.startsWith('/apis/foresight.dev/v1alpha1/namespaces/shop/foresightpolicies')) {
      const items = [
        { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'storefront', namespace: 'shop' }, spec: { scaleTargetRef: { name: 'storefront' } } },
        { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'broken', namespace: 'shop' }, spec: {} },
      ]
      const name = url.split('?')[0]?.split('/')[7]
      if (name === undefined) return send(200, { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicyList', metadata: {}, items })
      const item = items.find((i) => i.metadata.name === name)
      return item !== undefined ? send(200, item) : status(404, 'NotFound')
    }
    if (url.startsWith('/apis/apps/v1/namespaces/shop/statefulsets/db')) return send(200, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' } })
    return status(404, 'NotFound')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  const l = kubeLookups(kc, 200)
  t.same(await l.policiesInNamespace('shop'), [{ name: 'storefront', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' } }], 'unreadable policies are skipped')
  t.same(await l.findPolicy('shop', 'storefront'), { name: 'storefront', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' } })
  t.equal(await l.findPolicy('shop', 'nope'), undefined, '404 is "missing"')
  t.equal(await l.targetExists('shop', { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' }), true)
  t.equal(await l.targetExists('shop', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'db' }), false, 'kind matters')
  await t.rejects(l.policiesInNamespace('locked'), /HTTP 403/, 'RBAC failures are errors, not "none"')
  await t.rejects(l.findPolicy('locked', 'x'), /HTTP 403/)
  const started = Date.now()
  await t.rejects(l.targetExists('slow', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }))
  t.ok(Date.now() - started < 1_500, 'the per-call timeout aborts the request')
  t.ok(seen.includes('/apis/apps/v1/namespaces/shop/statefulsets/db'))

  const evict = { verb: 'create', group: '', version: 'v1', resource: 'pods', subresource: 'eviction', namespace: 'shop' }
  const alice = { username: 'alice', uid: 'u-1', groups: ['dev'], extra: { scopes: ['a'] } }
  t.same(await l.reviewAccess(alice, evict), { allowed: true, reason: 'RBAC: allowed' })
  t.same(reviews[0], { user: 'alice', uid: 'u-1', groups: ['dev'], extra: { scopes: ['a'] }, resourceAttributes: evict }, 'the SubjectAccessReview names the user and pods/eviction')
  t.same(await l.reviewAccess({ username: 'bob', groups: [], extra: {} }, evict), { allowed: false, reason: '' })
  t.same(reviews[1], { user: 'bob', groups: [], extra: {}, resourceAttributes: evict }, 'no uid when there is none')
  t.equal((await l.reviewAccess({ username: 'eve', groups: [], extra: {} }, evict)).allowed, false, 'denied')
  await t.rejects(l.reviewAccess(alice, { ...evict, namespace: 'locked' }), /HTTP 403/, 'a review the webhook may not make is an error, not "no"')
})
