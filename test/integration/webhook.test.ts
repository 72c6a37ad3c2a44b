import { writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { pino } from 'pino'
import t from 'tap'
import { issueCert } from '../../src/auth/pki.js'
import { loadConfig } from '../../src/config/load.js'
import { webhookConfigSchema } from '../../src/config/webhook-config.js'
import { parsePolicy } from '../../src/policy/validate.js'
import { memoryLookups } from '../../src/webhook/memory-lookups.js'
import { startWebhook } from '../../src/commands/webhook.js'
import { loadReview, reviewObject } from '../fixtures/webhook/load.js'
import { call } from '../helpers/https-client.js'
import { makeTestPki } from '../helpers/pki.js'

const pki = makeTestPki()
const cfg = loadConfig(webhookConfigSchema, {
  env: {},
  set: [`tls.certFile=${pki.servingFiles.certFile}`, `tls.keyFile=${pki.servingFiles.keyFile}`, 'listen.port=0', 'lookups.timeoutMs=500', 'tls.reloadIntervalMs=100'],
})
const lookups = memoryLookups({
  policies: { shop: [{ name: 'storefront', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' } }] },
  workloads: { shop: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' }, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout' }] },
})
const webhook = await startWebhook(cfg, pino({ level: 'silent' }), { lookups })
t.teardown(() => webhook.close())

interface Reply { status: number; body: Record<string, unknown> }
interface Response { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; patchType?: string; patch?: string }

/** POST over real TLS, verifying the server against the test CA, as the apiserver does with caBundle. */
function post(path: string, body: string | Buffer, contentType = 'application/json', base = webhook.url, ca: string | null = pki.servingCA.certPem): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const tls = ca !== null ? { ca } : { rejectUnauthorized: false }
    const req = request(`${base}${path}?timeout=5s`, { method: 'POST', ...tls, agent: false, headers: { 'content-type': contentType } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> })
        } catch {
          reject(new Error(`not JSON (HTTP ${res.statusCode ?? 0}): ${text.slice(0, 200)}`))
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')))
    req.end(body)
  })
}

async function admit(path: string, fixture: string): Promise<Response> {
  const sent = loadReview(fixture)
  const r = await post(path, JSON.stringify(sent))
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`)
  if (r.body.apiVersion !== 'admission.k8s.io/v1' || r.body.kind !== 'AdmissionReview') throw new Error(`not an AdmissionReview: ${JSON.stringify(r.body)}`)
  const response = r.body.response as Response
  if (response.uid !== (sent.request as { uid: string }).uid) throw new Error('uid not echoed')
  return response
}

t.test('a valid ForesightPolicy is admitted', async (t) => {
  const res = await admit('/validate/foresightpolicies', 'policy-valid')
  t.same(res, { uid: 'b3a1c2d4-0001-4000-8000-000000000001', allowed: true })
})

t.test('schema errors are refused with every problem', async (t) => {
  const res = await admit('/validate/foresightpolicies', 'policy-invalid-schema')
  t.equal(res.allowed, false)
  t.equal(res.status?.code, 422)
  t.match(res.status?.message, /^ForesightPolicy shop\/checkout is invalid: /)
  for (const want of [/spec\.maxReplicas: Required/, /spec\.minReplicas: Too small/, /spec\.replicas: unknown field/]) t.match(res.status?.message, want)
})

t.test('semantic errors are refused', async (t) => {
  const res = await admit('/validate/foresightpolicies', 'policy-invalid-semantic')
  t.equal(res.allowed, false)
  t.match(res.status?.message, /spec\.load\.query: invalid PromQL: syntax error at line 1, column \d+/)
  t.match(res.status?.message, /spec\.horizonSeconds: 900 is 60 steps of 15 s; the model forecasts at most 30 steps/)
})

t.test('an oversized query is refused by its size, without parsing it (no event loop stall, no stack overflow)', async (t) => {
  for (const query of [`${'a+'.repeat(150_000)}a`, 'x'.repeat(900_000)]) {
    const review = loadReview('policy-valid')
    const object = (review.request as { object: { spec: { load: { query: string } } } }).object
    object.spec.load.query = query
    const started = Date.now()
    const [r, live] = await Promise.all([
      post('/validate/foresightpolicies', JSON.stringify(review)),
      new Promise<number>((resolve) => setTimeout(resolve, 5)).then(async () => {
        const asked = Date.now()
        await call(`${webhook.url}/livez`, { ca: pki.servingCA.certPem })
        return Date.now() - asked
      }),
    ])
    t.equal(r.status, 200)
    const response = r.body.response as Response
    t.equal(response.allowed, false)
    t.match(response.status?.message, /spec\.load\.query: Too big: expected string to have <=4096 characters$/)
    t.notMatch(response.status?.message, /invalid PromQL/)
    t.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`)
    t.ok(live < 1_000, `/livez answered in ${live} ms meanwhile`)
  }
})

t.test('a second policy for the same workload is refused', async (t) => {
  const res = await admit('/validate/foresightpolicies', 'policy-duplicate-target')
  t.equal(res.allowed, false)
  t.match(res.status?.message, /Deployment storefront is already targeted by ForesightPolicy storefront in namespace shop/)
})

t.test('a policy for a workload that does not exist yet is admitted with a warning', async (t) => {
  const res = await admit('/validate/foresightpolicies', 'policy-missing-target')
  t.equal(res.allowed, true)
  t.match(res.warnings, [/StatefulSet shop\/search does not exist \(yet\)/])
})

t.test('DELETE is allowed', async (t) => {
  t.same(await admit('/validate/foresightpolicies', 'policy-delete'), { uid: 'b3a1c2d4-0006-4000-8000-000000000006', allowed: true })
})

t.test('the mutation patch yields the defaulted object', async (t) => {
  const res = await admit('/mutate/foresightpolicies', 'policy-valid')
  t.equal(res.allowed, true)
  t.equal(res.patchType, 'JSONPatch')
  const ops = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString('utf8')) as Array<{ op: string; path: string; value: unknown }>
  const submitted = reviewObject('policy-valid')
  const patched = applyAdds(submitted, ops)
  const defaulted = parsePolicy(submitted)
  if (!defaulted.ok) throw new Error('fixture invalid')
  t.same(patched.spec, defaulted.policy.spec, 'stored spec is the schema-defaulted spec')
  t.same(patched.metadata, submitted.metadata, 'metadata untouched')
  t.same(await admit('/validate/foresightpolicies', 'policy-valid'), { uid: 'b3a1c2d4-0001-4000-8000-000000000001', allowed: true }, 'and validation still admits it')
})

t.test('HPAs reading foresight metrics', async (t) => {
  t.same(await admit('/validate/hpas', 'hpa-average-value'), { uid: 'b3a1c2d4-0007-4000-8000-000000000007', allowed: true }, 'AverageValue 1: admitted silently')
  const value = await admit('/validate/hpas', 'hpa-value-target')
  t.equal(value.allowed, true)
  t.match(value.warnings, [/target\.type: Value multiplies foresight_desired_replicas by the ready pods/])
  const noSelector = await admit('/validate/hpas', 'hpa-no-selector')
  t.equal(noSelector.allowed, false)
  t.match(noSelector.status?.message, /must name one ForesightPolicy/)
  t.same(await admit('/validate/hpas', 'hpa-unrelated'), { uid: 'b3a1c2d4-0010-4000-8000-000000000010', allowed: true }, 'HPAs without foresight metrics are untouched')
})

t.test('a malformed envelope is HTTP 400 with a Status', async (t) => {
  for (const [fixture, want] of [['malformed-no-uid', /request\.uid: required/], ['wrong-version', /expected apiVersion admission\.k8s\.io\/v1/]] as const) {
    const r = await post('/validate/foresightpolicies', JSON.stringify(loadReview(fixture)))
    t.equal(r.status, 400, fixture)
    t.match(r.body, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message: want }, fixture)
  }
})

t.test('transport errors are Status bodies', async (t) => {
  const big = loadReview('policy-valid')
  const obj = (big.request as { object: { metadata: Record<string, unknown> } }).object
  obj.metadata.annotations = { padding: 'x'.repeat(cfg.maxBodyBytes) }
  const tooLarge = await post('/validate/foresightpolicies', JSON.stringify(big))
  t.equal(tooLarge.status, 413)
  t.match(tooLarge.body, { kind: 'Status', code: 413, reason: 'RequestEntityTooLarge', message: /exceeds the 1048576-byte limit/ })

  const notJson = await post('/validate/foresightpolicies', '{"apiVersion": "admission.k8s.io/v1", ')
  t.equal(notJson.status, 400)
  t.match(notJson.body, { kind: 'Status', code: 400, message: /not a JSON AdmissionReview/ })

  const text = await post('/validate/foresightpolicies', 'hello', 'text/plain')
  t.equal(text.status, 415)
  t.match(text.body, { kind: 'Status', code: 415, reason: 'UnsupportedMediaType', message: /Content-Type application\/json/ })

  const xml = await post('/validate/foresightpolicies', '<review/>', 'application/xml')
  t.equal(xml.status, 415)
  t.match(xml.body, { kind: 'Status', code: 415, reason: 'UnsupportedMediaType', message: /Content-Type application\/json/ })

  const unknown = await post('/validate/pods', '{}')
  t.equal(unknown.status, 404)
  t.match(unknown.body, { kind: 'Status', code: 404 })

  const get = await new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${webhook.url}/validate/foresightpolicies`, { method: 'GET', ca: pki.servingCA.certPem, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(get.status, 405, 'GET on a review path')
  t.equal(get.allow, 'POST')
  t.match(JSON.parse(get.body), { kind: 'Status', code: 405, reason: 'MethodNotAllowed' })
})

t.test('probes', async (t) => {
  for (const path of ['/livez', '/readyz']) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${webhook.url}${path}`, { ca: pki.servingCA.certPem, agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end()
    })
    t.equal(status, 200, path)
  }
})

t.test('on close (SIGTERM) the shutdown delay keeps reviews answered, readiness failing, then the port closes', async (t) => {
  const draining = loadConfig(webhookConfigSchema, { env: {}, set: ['tls.selfSigned=true', 'lookups.enabled=false', 'listen.port=0', 'shutdownDelayMs=600'] })
  const server = await startWebhook(draining, pino({ level: 'silent' }))
  t.equal((await call(`${server.url}/readyz`, { ca: undefined })).status, 200, 'ready before')
  const closed = server.close()
  t.equal((await call(`${server.url}/readyz`, { ca: undefined })).status, 503, 'not ready while draining')
  const r = await post('/validate/foresightpolicies', JSON.stringify(loadReview('policy-valid')), 'application/json', server.url, null)
  t.equal(r.status, 200, 'a review sent during the delay is still answered')
  t.equal((r.body.response as Response).allowed, true)
  await closed
  await t.rejects(call(`${server.url}/livez`, { ca: undefined }), { code: 'ECONNREFUSED' }, 'closed after the delay')
})

t.test('listening on :: (deploy/components/ipv6) answers over IPv4 and IPv6', async (t) => {
  const both = loadConfig(webhookConfigSchema, { env: {}, set: [`tls.certFile=${pki.servingFiles.certFile}`, `tls.keyFile=${pki.servingFiles.keyFile}`, 'listen.host=::', 'listen.port=0', 'lookups.enabled=false'] })
  const server = await startWebhook(both, pino({ level: 'silent' }), { lookups })
  t.teardown(() => server.close())
  const port = new URL(server.url).port
  t.match(server.url, /^https:\/\/\[::\]:\d+$/, 'the logged URL brackets the IPv6 address')
  t.equal((await call(`https://127.0.0.1:${port}/livez`, { ca: pki.servingCA.certPem })).status, 200, 'IPv4')
  // The test certificate names 127.0.0.1 and localhost, not ::1: this checks the listener, not the name.
  t.equal((await call(`https://[::1]:${port}/livez`, { ca: undefined })).status, 200, 'IPv6')
})

t.test('self-signed local run without a cluster: lookups become warnings', async (t) => {
  const local = loadConfig(webhookConfigSchema, { env: {}, set: ['tls.selfSigned=true', 'lookups.enabled=false', 'listen.port=0'] })
  const server = await startWebhook(local, pino({ level: 'silent' }))
  t.teardown(() => server.close())
  const peer = (await call(`${server.url}/livez`, { ca: undefined })).peer
  t.equal(peer.issuer.CN, 'foresight-local', 'self-signed certificate')
  const r = await post('/validate/foresightpolicies', JSON.stringify(loadReview('policy-valid')), 'application/json', server.url, null)
  t.equal(r.status, 200)
  const res = r.body.response as Response
  t.equal(res.allowed, true)
  t.match(res.warnings, [/could not check whether another ForesightPolicy/, /could not check whether Deployment shop\/checkout exists/])
})

t.test('a rotated serving certificate is picked up without a restart', async (t) => {
  const before = (await call(`${webhook.url}/livez`, { ca: pki.servingCA.certPem })).peer.serialNumber
  const next = issueCert(pki.servingCA, { commonName: 'foresight-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' })
  writeFileSync(pki.servingFiles.keyFile, next.keyPem)
  writeFileSync(pki.servingFiles.certFile, next.certPem)
  let after = before
  const until = Date.now() + 5_000
  while (after === before && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50))
    after = (await call(`${webhook.url}/livez`, { ca: pki.servingCA.certPem })).peer.serialNumber
  }
  t.not(after, before, 'new connections see the new certificate')
  t.equal((await admit('/validate/foresightpolicies', 'policy-valid')).allowed, true, 'and reviews still work')
})

/** RFC 6902 `add` only, which is all the defaulting patch uses. */
function applyAdds(doc: Record<string, unknown>, ops: ReadonlyArray<{ op: string; path: string; value: unknown }>): Record<string, unknown> {
  const copy = structuredClone(doc)
  for (const op of ops) {
    if (op.op !== 'add') throw new Error(`unexpected op ${op.op}`)
    const tokens = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    const last = tokens.pop()
    let node: Record<string, unknown> = copy
    for (const tok of tokens) node = node[tok] as Record<string, unknown>
    if (last === undefined || typeof node !== 'object') throw new Error(`bad path ${op.path}`)
    node[last] = op.value
  }
  return copy
}
