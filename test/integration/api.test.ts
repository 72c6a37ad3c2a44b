import { connect as tlsConnect } from 'node:tls'
import t, { type Test } from 'tap'
import { startTestAdapter } from '../helpers/adapter.js'
import { call } from '../helpers/https-client.js'
import { makeTestPki } from '../helpers/pki.js'
import { startReviewStandIn } from '../helpers/review-standin.js'

// The adapter in kubernetes auth mode against the review stand-in; every route and every status code.

const pki = makeTestPki()
const standIn = await startReviewStandIn()
t.teardown(() => standIn.close())
standIn.tokens.set('hpa-token', { username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler', groups: ['system:serviceaccounts'] })
standIn.tokens.set('nobody-token', { username: 'nobody', groups: ['system:authenticated'] })
const hpa = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler'
for (const m of ['foresight_desired_replicas', 'foresight_observed_load', 'foresight_unknown']) standIn.allow.add(`${hpa}|default|${m}`)
standIn.allow.add(`${hpa}|other|foresight_desired_replicas`)
for (const p of ['/apis', '/apis/external.metrics.k8s.io', '/apis/external.metrics.k8s.io/v1beta1', '/openapi/v2', '/openapi/v3', '/openapi/v3/apis/external.metrics.k8s.io/v1beta1', '/nope']) standIn.allow.add(`${hpa}|${p}`)

const adapter = await startTestAdapter([
  'auth.mode=kubernetes',
  `auth.kubeconfig=${standIn.kubeconfigFile}`,
  `auth.requestHeader.clientCAFile=${pki.requestHeaderCAFile}`,
  'auth.requestHeader.allowedNames=front-proxy-client',
  'auth.authorization.timeoutMs=300',
  `tls.certFile=${pki.servingFiles.certFile}`,
  `tls.keyFile=${pki.servingFiles.keyFile}`,
])
t.teardown(() => adapter.close())

const base = adapter.apiUrl
const ca = pki.servingCA.certPem
const bearer = { authorization: 'Bearer hpa-token' }
const metricPath = '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas'
const selector = '?labelSelector=' + encodeURIComponent('foresight.dev/policy=demo')

const asProxy = (user: string, groups: string[] = []): { ca: string; cert: string; key: string; headers: Record<string, string | string[]> } => ({
  ca, cert: pki.frontProxy.certPem, key: pki.frontProxy.keyPem, headers: { 'x-remote-user': user, 'x-remote-group': groups },
})

function expectStatus(t: Test, res: { status: number; json: () => unknown }, code: number, reason: string): void {
  t.equal(res.status, code)
  t.match(res.json(), { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason })
}

t.test('discovery', async (t) => {
  const groups = await call(`${base}/apis`, { ca, headers: bearer })
  t.equal(groups.status, 200)
  t.match(groups.json(), { kind: 'APIGroupList', groups: [{ name: 'external.metrics.k8s.io', preferredVersion: { groupVersion: 'external.metrics.k8s.io/v1beta1' } }] })

  const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'
  const agg = await call(`${base}/apis`, { ca, headers: { ...bearer, accept } })
  t.equal(agg.status, 200)
  // Parameters may come quoted and spaced (both are the same media type to Go's mime.ParseMediaType).
  t.match(String(agg.headers['content-type']).replace(/[\s"]/g, ''), /^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/)
  t.match(agg.json(), { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', items: [{ metadata: { name: 'external.metrics.k8s.io' }, versions: [{ version: 'v1beta1', freshness: 'Current' }] }] })
  const aggBeta = await call(`${base}/apis`, { ca, headers: { ...bearer, accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' } })
  t.match(aggBeta.json(), { apiVersion: 'apidiscovery.k8s.io/v2beta1' })

  const group = await call(`${base}/apis/external.metrics.k8s.io`, { ca, headers: bearer })
  t.match(group.json(), { kind: 'APIGroup', name: 'external.metrics.k8s.io', versions: [{ version: 'v1beta1' }] })

  const resources = await call(`${base}/apis/external.metrics.k8s.io/v1beta1`, { ca, headers: bearer })
  const list = resources.json() as { kind: string; resources: Array<{ name: string; namespaced: boolean; kind: string; verbs: string[] }> }
  t.equal(list.kind, 'APIResourceList')
  t.ok(list.resources.length > 0, 'never an empty resource list')
  t.ok(list.resources.some((r) => r.name === 'foresight_desired_replicas' && r.namespaced && r.kind === 'ExternalMetricValueList'))
})

t.test('metric values', async (t) => {
  const res = await call(`${base}${metricPath}${selector}`, { ca, headers: bearer })
  t.equal(res.status, 200)
  const body = res.json() as { kind: string; apiVersion: string; items: Array<{ metricName: string; metricLabels: Record<string, string>; timestamp: string; window: number; value: string }> }
  t.equal(body.kind, 'ExternalMetricValueList')
  t.equal(body.apiVersion, 'external.metrics.k8s.io/v1beta1')
  t.equal(body.items.length, 1)
  const item = body.items[0]
  t.equal(item?.metricName, 'foresight_desired_replicas')
  t.equal(item?.metricLabels['foresight.dev/policy'], 'demo')
  t.match(item?.value, /^\d+$/, 'replica counts are whole Quantities')
  t.match(item?.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/)
  t.ok(Math.abs(Date.parse(item?.timestamp ?? '') - Date.now()) < 120_000, 'timestamp is the latest complete minute')
  t.equal(item?.window, 60)

  const load = await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_observed_load?labelSelector=${encodeURIComponent('foresight.dev/policy in (demo,other),!missing')}`, { ca, headers: bearer })
  t.equal(load.status, 200)
  t.match((load.json() as { items: Array<{ value: string }> }).items[0]?.value, /^\d+(m)?$/, 'canonical Quantity')

  const all = await call(`${base}${metricPath}`, { ca, headers: bearer })
  t.equal(all.status, 200, 'no selector selects everything')
})

t.test('error statuses', async (t) => {
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_unknown`, { ca, headers: bearer }), 404, 'NotFound')
  const nothing = await call(`${base}${metricPath}?labelSelector=${encodeURIComponent('foresight.dev/policy=other')}`, { ca, headers: bearer })
  expectStatus(t, nothing, 404, 'NotFound')
  t.match((nothing.json() as { message: string }).message, 'matched the selector "foresight.dev/policy=other"')
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/other/foresight_desired_replicas`, { ca, headers: bearer }), 404, 'NotFound')
  const bad = await call(`${base}${metricPath}?labelSelector=${encodeURIComponent('foresight.dev/policy in (demo')}`, { ca, headers: bearer })
  expectStatus(t, bad, 400, 'BadRequest')
  t.match((bad.json() as { message: string }).message, 'expected "," or ")", found end of input')
  expectStatus(t, await call(`${base}${metricPath}?labelSelector=a&labelSelector=b`, { ca, headers: bearer }), 400, 'BadRequest')
  const longBad = await call(`${base}${metricPath}?labelSelector=${encodeURIComponent(`tier=${'v'.repeat(8_000)}`)}`, { ca, headers: bearer })
  expectStatus(t, longBad, 400, 'BadRequest')
  t.ok((longBad.json() as { message: string }).message.length < 700, 'a long bad selector is quoted cut, not whole')
  standIn.allow.add(`${hpa}|Bad_NS|foresight_desired_replicas`)
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/Bad_NS/foresight_desired_replicas`, { ca, headers: bearer }), 400, 'BadRequest')
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const res = await call(`${base}${metricPath}`, { ca, method, headers: bearer })
    expectStatus(t, res, 405, 'MethodNotAllowed')
    t.equal(res.headers.allow, 'GET, HEAD', `${method}: Allow names what is served`)
  }
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1`, { ca, method: 'POST', headers: bearer }), 405, 'MethodNotAllowed')
  expectStatus(t, await call(`${base}/openapi/v2`, { ca, method: 'POST', headers: bearer }), 405, 'MethodNotAllowed')
  expectStatus(t, await call(`${base}/nope`, { ca, headers: bearer }), 404, 'NotFound')
  const noAuth405 = await call(`${base}${metricPath}`, { ca, method: 'DELETE' })
  expectStatus(t, noAuth405, 401, 'Unauthorized')
  // Authorized before the 405, as kube-apiserver does: who may not learns 403, with the verb kube would ask.
  const notAllowed405 = await call(`${base}${metricPath}`, { ca, method: 'DELETE', headers: { authorization: 'Bearer nobody-token' } })
  expectStatus(t, notAllowed405, 403, 'Forbidden')
  t.match((notAllowed405.json() as { message: string }).message, 'User "nobody" cannot deletecollection resource "foresight_desired_replicas"')
  // A malformed escape never reaches a route (nor authentication): a Status that echoes nothing.
  const badUrl = await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_%zz`, { ca, headers: bearer })
  expectStatus(t, badUrl, 400, 'BadRequest')
  t.equal((badUrl.json() as { message: string }).message, 'the request path is not a valid URL')
  // Metric names up to 253 characters are names the route validates (here: allowed, unknown); longer ones are 400.
  const long = 'foresight_' + 'x'.repeat(243)
  standIn.allow.add(`${hpa}|default|${long}`)
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/${long}`, { ca, headers: bearer }), 404, 'NotFound')
  const tooLong = long + 'x'
  standIn.allow.add(`${hpa}|default|${tooLong}`)
  expectStatus(t, await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/${tooLong}`, { ca, headers: bearer }), 400, 'BadRequest')
})

t.test('requests the HTTP parser refuses get a Status too, and the server keeps serving', async (t) => {
  const raw = (request: string): Promise<string> => new Promise((resolve, reject) => {
    const url = new URL(base)
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' }, () => socket.end(request))
    let text = ''
    socket.on('data', (d: Buffer) => { text += d.toString() })
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
  const statusOf = (text: string): { line: string; body: { kind?: string; code?: number; reason?: string } } => {
    const [head = '', body = ''] = text.split('\r\n\r\n')
    return { line: head.split('\r\n')[0] ?? '', body: JSON.parse(body) as { kind?: string; code?: number; reason?: string } }
  }
  const big = statusOf(await raw(`GET ${metricPath} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`))
  t.equal(big.line, 'HTTP/1.1 431 Request Header Fields Too Large')
  t.match(big.body, { kind: 'Status', code: 431, reason: 'RequestHeaderFieldsTooLarge' })
  const garbled = statusOf(await raw('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'))
  t.equal(garbled.line, 'HTTP/1.1 400 Bad Request')
  t.match(garbled.body, { kind: 'Status', code: 400, reason: 'BadRequest', message: 'the request is not valid HTTP' })
  t.equal((await call(`${base}/livez`, { ca })).status, 200, 'still serving')
})

t.test('pipelined requests are answered in order; a malformed or overlong pipeline closes cleanly after the answered ones', async (t) => {
  // Written without half-closing, as a pipelining client does; read until every request is answered, the server
  // closes, or 5 s.
  const pipeline = (requests: string, count = Infinity): Promise<{ text: string; closed: boolean }> => new Promise((resolve, reject) => {
    const url = new URL(base)
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' }, () => socket.write(requests))
    let text = ''
    const timer = setTimeout(() => { socket.destroy(); resolve({ text, closed: false }) }, 5_000)
    socket.on('data', (d: Buffer) => {
      text += d.toString()
      if ((text.match(/\r\n\r\nok/g) ?? []).length >= count) {
        clearTimeout(timer)
        socket.destroy()
        resolve({ text, closed: false })
      }
    })
    socket.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }) })
    socket.on('error', reject)
  })
  const statusLines = (text: string): string[] => text.match(/HTTP\/1\.1 \d+/g) ?? []
  const livez = 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n'
  const malformed = 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'

  const behind = await pipeline(livez + livez + malformed)
  t.same(statusLines(behind.text), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 400'], 'the requests before the malformed one are answered, then it')
  t.match(behind.text, /"reason":"BadRequest"/)
  t.ok(behind.closed, 'then the connection is closed')

  for (const n of [10, 600, 3_000]) {
    const { text, closed } = await pipeline(livez.repeat(n), n)
    const lines = statusLines(text)
    t.ok(lines.length >= Math.min(n, 500), `${n} pipelined: ${lines.length} answered`)
    t.ok(lines.every((l) => l === 'HTTP/1.1 200'), `${n} pipelined: every answer is whole and a 200`)
    t.equal((text.match(/\r\n\r\nok/g) ?? []).length, lines.length, `${n} pipelined: each answer has its body`)
    if (lines.length < n) t.ok(closed, `${n} pipelined: closed after the answered ones, the rest left to be sent again`)
  }
  t.equal((await call(`${base}/livez`, { ca })).status, 200, 'still serving')
})

t.test('openapi', async (t) => {
  const v2 = await call(`${base}/openapi/v2`, { ca, headers: bearer })
  t.equal(v2.status, 200)
  t.match(v2.json(), { swagger: '2.0', definitions: { 'io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValueList': { type: 'object' } } })
  const v3 = await call(`${base}/openapi/v3`, { ca, headers: bearer })
  const index = v3.json() as { paths: Record<string, { serverRelativeURL: string }> }
  const rel = index.paths['apis/external.metrics.k8s.io/v1beta1']?.serverRelativeURL
  t.match(rel, /^\/openapi\/v3\/apis\/external\.metrics\.k8s\.io\/v1beta1\?hash=[0-9A-F]+$/)
  const doc = await call(`${base}${rel ?? ''}`, { ca, headers: bearer })
  t.match(doc.json(), { openapi: '3.0.0', components: { schemas: { 'io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValue': { type: 'object' } } } })
})

t.test('metric names that are Object prototype properties are unknown metrics like any other (404, not 500)', async (t) => {
  const names = ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'toString', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__']
  for (const name of names) {
    standIn.allow.add(`${hpa}|default|${name}`)
    const res = await call(`${base}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/${name}${selector}`, { ca, headers: bearer })
    expectStatus(t, res, 404, 'NotFound')
    t.match((res.json() as { message: string }).message, `the server could not find the metric "${name}"`, name)
  }
})

t.test('request-header extras named like Object prototype properties are extras like any other', async (t) => {
  for (const name of ['constructor', 'tostring', 'hasownproperty', '__proto__']) {
    const before = standIn.calls.accessReviews.length
    const res = await call(`${base}${metricPath}${selector}`, { ...asProxy('extra-user'), headers: { 'x-remote-user': 'extra-user', [`x-remote-extra-${name}`]: 'v' } })
    expectStatus(t, res, 403, 'Forbidden')
    const sar = standIn.calls.accessReviews.at(before) as { user?: string; extra?: Record<string, string[]> } | undefined
    t.equal(sar?.user, 'extra-user', `${name}: reviewed`)
    // A key named __proto__ is dropped on its way out (src/kube/reviews.ts); the others arrive as sent.
    if (name !== '__proto__') t.same(Object.entries(sar?.extra ?? {}), [[name, ['v']]], `${name}: passed on`)
  }
})

t.test('authentication', async (t) => {
  expectStatus(t, await call(`${base}${metricPath}${selector}`, { ca }), 401, 'Unauthorized')
  expectStatus(t, await call(`${base}${metricPath}${selector}`, { ca, headers: { authorization: 'Bearer wrong' } }), 401, 'Unauthorized')
  expectStatus(t, await call(`${base}${metricPath}${selector}`, { ca, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'Unauthorized')

  t.equal((await call(`${base}${metricPath}${selector}`, asProxy(hpa, ['system:authenticated']))).status, 200, 'front proxy with an allowed name')
  const sar = standIn.calls.accessReviews.find((s) => s.user === hpa && JSON.stringify(s.groups) === '["system:authenticated"]')
  t.match(sar, { resourceAttributes: { verb: 'list', group: 'external.metrics.k8s.io', resource: 'foresight_desired_replicas', namespace: 'default' } }, 'request-header identity reaches the SubjectAccessReview')

  const impostor = await call(`${base}${metricPath}${selector}`, { ca, cert: pki.impostor.certPem, key: pki.impostor.keyPem, headers: { 'x-remote-user': hpa } })
  expectStatus(t, impostor, 401, 'Unauthorized')
  const wrongName = await call(`${base}${metricPath}${selector}`, { ca, cert: pki.wrongName.certPem, key: pki.wrongName.keyPem, headers: { 'x-remote-user': hpa } })
  expectStatus(t, wrongName, 401, 'Unauthorized')
  expectStatus(t, await call(`${base}${metricPath}${selector}`, { ca, headers: { 'x-remote-user': hpa, 'x-remote-group': 'system:masters' } }), 401, 'Unauthorized')

  const noUser = await call(`${base}${metricPath}${selector}`, { ca, cert: pki.frontProxy.certPem, key: pki.frontProxy.keyPem })
  expectStatus(t, noUser, 401, 'Unauthorized')

  // Headers from a caller without the proxy certificate are ignored: the token decides who it is.
  const before = standIn.calls.accessReviews.length
  const spoof = await call(`${base}${metricPath}${selector}`, { ca, headers: { authorization: 'Bearer nobody-token', 'x-remote-user': hpa } })
  expectStatus(t, spoof, 403, 'Forbidden')
  t.match((spoof.json() as { message: string }).message, 'User "nobody" cannot list resource "foresight_desired_replicas"')
  t.equal(standIn.calls.accessReviews.at(before)?.user, 'nobody')
  // A refused client certificate does not hide a bearer token on the same request (kube-apiserver's union of
  // authenticators); the token, not the headers, then says who it is.
  const impostorWithToken = await call(`${base}${metricPath}${selector}`, { ca, cert: pki.impostor.certPem, key: pki.impostor.keyPem, headers: { authorization: 'Bearer nobody-token', 'x-remote-user': hpa } })
  expectStatus(t, impostorWithToken, 403, 'Forbidden')
  t.match((impostorWithToken.json() as { message: string }).message, 'User "nobody"')
  const badExtra = await call(`${base}${metricPath}${selector}`, { ...asProxy(hpa), headers: { 'x-remote-user': hpa, 'x-remote-extra-%zz': 'v' } })
  expectStatus(t, badExtra, 401, 'Unauthorized')

  const reviews = standIn.calls.tokenReviews
  for (let i = 0; i < 5; i++) t.equal((await call(`${base}${metricPath}${selector}`, { ca, headers: bearer })).status, 200)
  t.equal(standIn.calls.tokenReviews, reviews, 'token reviews are cached')
})

t.test('authorization', async (t) => {
  const denied = await call(`${base}${metricPath}${selector}`, asProxy('mallory'))
  expectStatus(t, denied, 403, 'Forbidden')
  t.match((denied.json() as { message: string }).message, /User "mallory" cannot list resource "foresight_desired_replicas" in API group "external.metrics.k8s.io" in the namespace "default"/)
  expectStatus(t, await call(`${base}/apis`, asProxy('mallory')), 403, 'Forbidden')
  t.equal((await call(`${base}/apis`, asProxy('system:kube-aggregator', ['system:masters']))).status, 200, 'the aggregator availability check identity')

  const count = standIn.calls.accessReviews.length
  await Promise.all(Array.from({ length: 20 }, () => call(`${base}${metricPath}${selector}`, asProxy('carol'))))
  t.equal(standIn.calls.accessReviews.length - count, 1, 'concurrent identical reviews share one call, then the decision is cached')
})

t.test('a slow or failing review fails only its own request', async (t) => {
  standIn.sarMode = 'slow'
  t.teardown(() => { standIn.sarMode = 'normal' })
  const started = Date.now()
  const [slow, cached, live] = await Promise.all([
    call(`${base}${metricPath}${selector}`, asProxy('dave')),
    call(`${base}${metricPath}${selector}`, { ca, headers: bearer }),
    call(`${base}/livez`, { ca }),
  ])
  expectStatus(t, slow, 500, 'InternalError')
  t.ok(Date.now() - started < 2_500, 'the review deadline (300 ms) bounds the wait')
  t.notMatch(slow.text, /timed out|standin|etcd|Error:|\n\s+at /, 'no internal detail in the body')
  t.equal(cached.status, 200, 'requests with a cached decision are still served')
  t.equal(live.status, 200)

  standIn.sarMode = 'error'
  const failing = await call(`${base}${metricPath}${selector}`, asProxy('erin'))
  expectStatus(t, failing, 500, 'InternalError')
  t.notMatch(failing.text, /etcd|secret internal detail/)
  standIn.sarMode = 'normal'
  t.equal((await call(`${base}${metricPath}${selector}`, asProxy(hpa))).status, 200, 'serving goes on once the apiserver answers')
})

t.test('health and telemetry', async (t) => {
  t.equal((await call(`${base}/livez`, { ca })).status, 200, '/livez needs no credentials')
  const ready = await call(`${base}/readyz`, { ca })
  t.equal(ready.status, 200)
  t.match(ready.text, /\[\+\]source ok\n\[\+\]authentication ok\n\[\+\]shutdown ok\nreadyz check passed/)
  const res = await fetch(`${adapter.metricsUrl}/metrics`)
  t.equal(res.status, 200)
  const text = await res.text()
  t.match(text, /foresight_http_requests_total\{server="api",method="GET",route="\/apis\/external.metrics.k8s.io\/v1beta1\/namespaces\/:namespace\/:metric",code="200"\} \d+/)
  t.match(text, /foresight_http_request_duration_seconds_bucket\{le="0.005",server="api"/)
  t.match(text, /process_resident_memory_bytes \d+/)
  t.equal((await fetch(`${adapter.metricsUrl}/readyz`)).status, 200)
})
