import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { pino } from 'pino'
import t from 'tap'
import { alertFixture } from '../../test/helpers/alertmanager-fixtures.js'
import { call } from '../../test/helpers/https-client.js'
import { post } from '../../test/helpers/https-post.js'
import { makeTestPki } from '../../test/helpers/pki.js'
import { createCA, issueCert } from '../auth/pki.js'
import type { RestartRequest } from './payload.js'
import { startAlertReceiver, type AlertOutcome, type RunningReceiver } from './receiver.js'

const log = pino({ level: 'silent' })
const pki = makeTestPki()
const dir = mkdtempSync(join(tmpdir(), 'foresight-alerts-'))
const tokenFile = join(dir, 'token')
writeFileSync(tokenFile, 's3cret-token\n')
const clientCA = createCA('alertmanager-client-ca')
const amClient = issueCert(clientCA, { commonName: 'alertmanager', usage: 'client' })
const stranger = issueCert(createCA('someone-else'), { commonName: 'alertmanager', usage: 'client' })

const requests: RestartRequest[] = []
let answer: AlertOutcome = { status: 'decided', action: 'restart', reason: 'Alert', outcome: 'Evicted' }
const withdrawn: RestartRequest[] = []
let leading = true
const sink = { async requestRestart(r: RestartRequest): Promise<AlertOutcome> { requests.push(r); return answer }, async withdrawRestart(r: RestartRequest): Promise<boolean> { if (leading) withdrawn.push(r); return leading } }

let tokenOnly: RunningReceiver
let mtls: RunningReceiver
t.before(async () => {
  tokenOnly = await startAlertReceiver({ host: '127.0.0.1', port: 0, certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, bearerTokenFile: tokenFile, log, sink })
  mtls = await startAlertReceiver({ host: '127.0.0.1', port: 0, certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCAPem: clientCA.certPem, log, sink })
})
t.teardown(async () => { await tokenOnly.close(); await mtls.close() })
t.beforeEach(() => { requests.length = 0; answer = { status: 'decided', action: 'restart', reason: 'Alert', outcome: 'Evicted' } })

const ca = pki.servingCA.certPem
const bearer = { authorization: 'Bearer s3cret-token' }
const send = (body: string, headers: Record<string, string> = bearer): ReturnType<typeof post> => post(`${tokenOnly.url}/alertmanager`, body, { ca, headers })

t.test('authentication', async (t) => {
  const body = alertFixture('firing-pod')
  const rows: Array<{ name: string; headers: Record<string, string>; status: number }> = [
    { name: 'no token', headers: {}, status: 401 },
    { name: 'wrong token', headers: { authorization: 'Bearer s3cret-tokeN' }, status: 401 },
    { name: 'a prefix of the token', headers: { authorization: 'Bearer s3cret' }, status: 401 },
    { name: 'basic auth', headers: { authorization: 'Basic czNjcmV0LXRva2Vu' }, status: 401 },
    { name: 'right token', headers: bearer, status: 200 },
    { name: 'right token, lower-case scheme', headers: { authorization: 'bearer s3cret-token' }, status: 200 },
  ]
  for (const r of rows) {
    const res = await send(body, r.headers)
    t.equal(res.status, r.status, r.name)
    if (r.status === 401) t.match(res.json(), { kind: 'Status', code: 401, reason: 'Unauthorized' })
  }
  t.equal(requests.length, 2, 'only authenticated deliveries reach the controller')
})

t.test('a rotated token file is picked up', async (t) => {
  writeFileSync(tokenFile, 'rotated')
  t.teardown(() => writeFileSync(tokenFile, 's3cret-token\n'))
  t.equal((await send(alertFixture('firing-pod'))).status, 401)
  t.equal((await send(alertFixture('firing-pod'), { authorization: 'Bearer rotated' })).status, 200)
})

t.test('mTLS: a client certificate of the configured CA, nothing else', async (t) => {
  const body = alertFixture('firing-pod')
  t.equal((await post(`${mtls.url}/alertmanager`, body, { ca, cert: amClient.certPem, key: amClient.keyPem })).status, 200)
  t.equal((await post(`${mtls.url}/alertmanager`, body, { ca, cert: stranger.certPem, key: stranger.keyPem })).status, 401, 'another CA')
  t.equal((await post(`${mtls.url}/alertmanager`, body, { ca })).status, 401, 'no certificate')
  t.equal((await post(`${mtls.url}/alertmanager`, body, { ca, headers: bearer })).status, 401, 'no token configured on this one')
})

t.test('a firing alert with namespace, pod and foresight_policy asks for a restart', async (t) => {
  const res = await send(alertFixture('firing-pod'))
  t.equal(res.status, 200)
  t.same(requests, [{ namespace: 'shop', policy: 'web', pod: 'web-7c9f8d6b5-x2x4q', alertname: 'PodHighErrorRate', fingerprint: '6f0d3c1e2a9b8c47' }])
  t.match(res.json(), { status: 'ok', results: [{ result: 'restart', reason: 'Alert', outcome: 'Evicted', pod: 'web-7c9f8d6b5-x2x4q' }] })
})

t.test('a group: only the alert that names its policy acts; the rest is acknowledged', async (t) => {
  const res = await send(alertFixture('mixed-group'))
  t.equal(res.status, 200)
  t.same(requests.map((r) => r.pod), ['web-7c9f8d6b5-abcde'])
  t.match(res.json(), {
    results: [
      { result: 'restart', pod: 'web-7c9f8d6b5-abcde' },
      { result: 'ignored', reason: 'missing label(s) foresight_policy' },
      { result: 'withdrawn', reason: 'resolved', pod: 'web-7c9f8d6b5-zzzzz' },
    ],
  })
})

t.test('a resolved alert withdraws its restart request; unrelated alerts are acknowledged and ignored', async (t) => {
  withdrawn.length = 0
  const resolved = await send(alertFixture('resolved'))
  t.equal(resolved.status, 200)
  t.match(resolved.json(), { status: 'ok', results: [{ result: 'withdrawn', reason: 'resolved', namespace: 'shop', policy: 'web', pod: 'web-7c9f8d6b5-x2x4q' }] })
  t.match(withdrawn, [{ namespace: 'shop', policy: 'web', pod: 'web-7c9f8d6b5-x2x4q' }])
  const watchdog = await send(alertFixture('watchdog'))
  t.equal(watchdog.status, 200)
  t.match(watchdog.json(), { status: 'ok', results: [{ result: 'ignored' }] })
  t.equal(requests.length, 0, 'neither asked for a restart')
  t.equal(withdrawn.length, 1)
  // A follower holds no signal to withdraw: 503, so that Alertmanager retries (through the Service, on the leader).
  leading = false
  t.teardown(() => { leading = true })
  const onFollower = await send(alertFixture('resolved'))
  t.equal(onFollower.status, 503)
  t.match(onFollower.json(), { status: 'not-leader', results: [{ result: 'ignored', reason: 'not-leader' }] })
})

t.test('what the controller said is passed on; not the leader is a 503 so Alertmanager retries', async (t) => {
  answer = { status: 'decided', action: 'skip', reason: 'BudgetExhausted', outcome: 'BudgetExhausted' }
  t.match((await send(alertFixture('firing-pod'))).json(), { results: [{ result: 'skip', reason: 'BudgetExhausted' }] })
  answer = { status: 'unknown-policy' }
  const unknown = await send(alertFixture('firing-pod'))
  t.equal(unknown.status, 200)
  t.match(unknown.json(), { results: [{ result: 'ignored', reason: 'unknown-policy' }] })
  answer = { status: 'not-leader' }
  const res = await send(alertFixture('firing-pod'))
  t.equal(res.status, 503)
  t.match(res.json(), { status: 'not-leader' })
})

t.test('malformed payloads: 400 with a reason', async (t) => {
  const rows: Array<{ name: string; body: string; message: RegExp }> = [
    { name: 'version 3', body: alertFixture('bad-version'), message: /version: only webhook payload version "4"/ },
    { name: 'unknown alert status', body: alertFixture('bad-alert-status'), message: /alerts\.0\.status/ },
    { name: 'no alerts array', body: JSON.stringify({ version: '4', status: 'firing' }), message: /alerts:/ },
    { name: 'not JSON', body: '{"version": "4", ', message: /malformed request/ },
    { name: 'a JSON array', body: '[]', message: /invalid Alertmanager payload/ },
    { name: 'labels not strings', body: JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { pod: 1 } }] }), message: /alerts\.0\.labels\.pod/ },
  ]
  for (const r of rows) {
    const res = await send(r.body)
    t.equal(res.status, 400, r.name)
    t.match((res.json() as { message: string }).message, r.message, r.name)
  }
  t.equal(requests.length, 0)
})

t.test('refuses to start without any authentication', async (t) => {
  await t.rejects(startAlertReceiver({ host: '127.0.0.1', port: 0, certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, log, sink }), /bearer token file or a client CA/)
})

t.test('mTLS with clientNames: a certificate of the CA must also carry an allowed common name', async (t) => {
  const named = await startAlertReceiver({ host: '127.0.0.1', port: 0, certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCAPem: clientCA.certPem, clientNames: ['alertmanager'], log, sink })
  t.teardown(() => named.close())
  const kubelet = issueCert(clientCA, { commonName: 'system:node:worker-1', usage: 'client' })
  const body = alertFixture('firing-pod')
  t.equal((await post(`${named.url}/alertmanager`, body, { ca, cert: amClient.certPem, key: amClient.keyPem })).status, 200, 'alertmanager')
  t.equal((await post(`${named.url}/alertmanager`, body, { ca, cert: kubelet.certPem, key: kubelet.keyPem })).status, 401, 'another client of the same CA')
})

t.test('a rotated serving certificate is picked up without a restart', async (t) => {
  const files = join(dir, 'rotating')
  mkdirSync(files)
  const certFile = join(files, 'tls.crt')
  const keyFile = join(files, 'tls.key')
  writeFileSync(certFile, pki.serving.certPem)
  writeFileSync(keyFile, pki.serving.keyPem)
  const r = await startAlertReceiver({ host: '127.0.0.1', port: 0, certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, bearerTokenFile: tokenFile, certFiles: { certFile, keyFile, reloadIntervalMs: 100 }, log, sink })
  t.teardown(() => r.close())
  const servedSerial = (): Promise<string> => new Promise((resolve, reject) => {
    const url = new URL(r.url)
    const s = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().serialNumber)
      s.end()
    })
    s.on('error', reject)
  })
  const before = await servedSerial()
  const next = issueCert(pki.servingCA, { commonName: 'foresight', ipAddresses: ['127.0.0.1'], usage: 'server' })
  writeFileSync(keyFile, next.keyPem)
  writeFileSync(certFile, next.certPem)
  let after = before
  for (let i = 0; i < 100 && after === before; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    after = await servedSerial()
  }
  t.not(after, before, 'the new certificate is served')
})

t.test('unknown paths, other methods and malformed URLs are answered with a Status, like every other error', async (t) => {
  const rows: Array<{ name: string; path: string; method: string; status: number; reason: string; allow?: string }> = [
    { name: 'unknown path', path: '/nope', method: 'GET', status: 404, reason: 'NotFound' },
    { name: 'POST to an unknown path', path: '/alertmanager/extra', method: 'POST', status: 404, reason: 'NotFound' },
    { name: 'the root', path: '/', method: 'GET', status: 404, reason: 'NotFound' },
    ...['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => ({ name: `${method} on the receiver`, path: '/alertmanager', method, status: 405, reason: 'MethodNotAllowed', allow: 'POST' })),
    { name: 'a malformed escape', path: '/alertmanager%zz', method: 'POST', status: 400, reason: 'BadRequest' },
  ]
  for (const r of rows) {
    const res = await call(`${tokenOnly.url}${r.path}`, { ca, method: r.method, headers: bearer })
    t.equal(res.status, r.status, r.name)
    t.match(res.json(), { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: r.status, reason: r.reason }, r.name)
    if (r.allow !== undefined) t.equal(res.headers.allow, r.allow, `${r.name}: Allow names what is served`)
  }
  const unauthenticated = await call(`${tokenOnly.url}/nope`, { ca })
  t.equal(unauthenticated.status, 401, 'authentication still comes first')
})
