import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { createCA, issueCert } from '../../src/auth/pki.js'
import { externalScalerClient } from '../../src/keda/grpc-server.js'
import { startTestAdapter } from '../helpers/adapter.js'
import { call } from '../helpers/https-client.js'
import { makeTestPki } from '../helpers/pki.js'

// The real adapter (local mode, the bundled demo policy default/demo on the replayed trace) with keda.enabled, and
// a real gRPC client over TLS with a client certificate, the way KEDA's operator and metrics server call it.

const pki = makeTestPki()
const kedaCA = createCA('test-keda-client-ca')
const kedaClient = issueCert(kedaCA, { commonName: 'keda-operator', usage: 'client' })
const strangerClient = issueCert(createCA('test-keda-client-ca'), { commonName: 'keda-operator', usage: 'client' })
const kedaCAFile = join(pki.dir, 'keda-ca.crt')
writeFileSync(kedaCAFile, kedaCA.certPem)

const adapter = await startTestAdapter([
  `tls.certFile=${pki.servingFiles.certFile}`,
  `tls.keyFile=${pki.servingFiles.keyFile}`,
  'keda.enabled=true',
  'keda.port=0',
  `keda.clientCAFile=${kedaCAFile}`,
  // One refresh for the whole test: the value read through both APIs is then the same one.
  'engine.refreshIntervalMs=600000',
  'tls.reloadIntervalMs=200',
])
t.teardown(() => adapter.close())
if (adapter.keda === undefined) throw new Error('keda.enabled=true started no scaler')
const address = `127.0.0.1:${adapter.keda.port}`

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>
const Scaler = externalScalerClient()
const clients: grpc.Client[] = []
t.teardown(() => clients.forEach((c) => c.close()))

function client(creds = grpc.credentials.createSsl(Buffer.from(pki.servingCA.certPem), Buffer.from(kedaClient.keyPem), Buffer.from(kedaClient.certPem))): Client {
  // A subchannel pool of its own: every client makes its own connection (and TLS handshake), none reuses another's.
  const c = new Scaler(address, creds, { 'grpc.use_local_subchannel_pool': 1 }) as Client
  clients.push(c)
  return c
}

function unary<T>(c: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    c[method]?.(req, { deadline: Date.now() + 5_000 }, (err: grpc.ServiceError | null, res: T) => (err !== null ? reject(err) : resolve(res)))
  })
}

async function codeOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p
    return 'no error'
  } catch (err) {
    return (err as grpc.ServiceError).code
  }
}

const demo = { name: 'web-so', namespace: 'default', scalerMetadata: { policy: 'demo', scalerAddress: address } }

t.test('GetMetricSpec and GetMetrics: target 1, value = the desired replicas the external metrics API serves', async (t) => {
  const c = client()
  const spec = await unary<{ metricSpecs: unknown[] }>(c, 'GetMetricSpec', demo)
  t.same(spec.metricSpecs, [{ metricName: 'foresight_desired_replicas', targetSize: 1, targetSizeFloat: 1 }])
  const res = await unary<{ metricValues: Array<{ metricName: string; metricValue: number; metricValueFloat: number }> }>(c, 'GetMetrics', { scaledObjectRef: demo, metricName: 'foresight_desired_replicas' })
  const api = await call(`${adapter.apiUrl}/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas?labelSelector=${encodeURIComponent('foresight.dev/policy=demo')}`, { ca: pki.servingCA.certPem })
  const served = Number((api.json() as { items: Array<{ value: string }> }).items[0]?.value)
  t.ok(served >= 1, `the API serves ${served}`)
  t.same(res.metricValues, [{ metricName: 'foresight_desired_replicas', metricValue: served, metricValueFloat: served }])
  t.same(await unary(c, 'IsActive', demo), { result: true })
})

t.test('StreamIsActive sends the state at once; StreamMetricSpec is UNIMPLEMENTED (KEDA falls back to GetMetricSpec)', async (t) => {
  const c = client()
  const stream = c.StreamIsActive?.(demo) as grpc.ClientReadableStream<{ result: boolean }>
  const first = await new Promise<{ result: boolean }>((resolve, reject) => {
    stream.once('data', resolve)
    stream.once('error', reject)
  })
  t.same(first, { result: true })
  stream.on('error', () => undefined)
  stream.cancel()
  const spec = c.StreamMetricSpec?.(demo) as grpc.ClientReadableStream<unknown>
  const code = await new Promise<number>((resolve) => spec.once('error', (err: grpc.ServiceError) => resolve(err.code)))
  t.equal(code, grpc.status.UNIMPLEMENTED)
})

t.test('an unknown policy is NOT_FOUND, missing metadata INVALID_ARGUMENT, and the scaler keeps serving', async (t) => {
  const c = client()
  t.equal(await codeOf(unary(c, 'GetMetrics', { scaledObjectRef: { ...demo, scalerMetadata: { policy: 'nope' } }, metricName: 'foresight_desired_replicas' })), grpc.status.NOT_FOUND)
  t.equal(await codeOf(unary(c, 'IsActive', { ...demo, namespace: 'other' })), grpc.status.NOT_FOUND, 'a policy is looked up in the ScaledObject\'s namespace only')
  t.equal(await codeOf(unary(c, 'GetMetricSpec', { ...demo, scalerMetadata: {} })), grpc.status.INVALID_ARGUMENT)
  t.equal(await codeOf(unary(c, 'GetMetrics', { scaledObjectRef: demo, metricName: 'something_else' })), grpc.status.NOT_FOUND)
  const stream = c.StreamIsActive?.({ ...demo, scalerMetadata: { policy: 'nope' } }) as grpc.ClientReadableStream<unknown>
  t.equal(await new Promise<number>((resolve) => stream.once('error', (err: grpc.ServiceError) => resolve(err.code))), grpc.status.NOT_FOUND, 'a stream for an unknown policy ends with NOT_FOUND')
  t.same(await unary(c, 'IsActive', demo), { result: true }, 'still serving')
})

t.test('clients without a certificate of the configured CA are refused', async (t) => {
  const anonymous = client(grpc.credentials.createSsl(Buffer.from(pki.servingCA.certPem)))
  t.equal(await codeOf(unary(anonymous, 'IsActive', demo)), grpc.status.UNAVAILABLE, 'no client certificate: the handshake fails')
  const stranger = client(grpc.credentials.createSsl(Buffer.from(pki.servingCA.certPem), Buffer.from(strangerClient.keyPem), Buffer.from(strangerClient.certPem)))
  t.equal(await codeOf(unary(stranger, 'IsActive', demo)), grpc.status.UNAVAILABLE, 'a certificate of another CA with the same name: refused')
  const plaintext = client(grpc.credentials.createInsecure())
  t.equal(await codeOf(unary(plaintext, 'IsActive', demo)), grpc.status.UNAVAILABLE, 'plaintext is not served')
  t.same(await unary(client(), 'IsActive', demo), { result: true })
})

t.test('a rotated serving certificate is served on new connections without a restart', async (t) => {
  const newCA = createCA('test-serving-ca-2')
  const next = issueCert(newCA, { commonName: 'foresight', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' })
  // A broken pair first (a rotation caught half-written): ignored, the current certificate stays.
  writeFileSync(pki.servingFiles.certFile, '')
  await sleep(600)
  t.same(await unary(client(), 'IsActive', demo), { result: true }, 'a half-written pair is not installed')
  writeFileSync(pki.servingFiles.keyFile, next.keyPem)
  writeFileSync(pki.servingFiles.certFile, next.certPem)
  const trustsNew = (): Client => client(grpc.credentials.createSsl(Buffer.from(newCA.certPem), Buffer.from(kedaClient.keyPem), Buffer.from(kedaClient.certPem)))
  let result: unknown
  for (let i = 0; i < 50 && result === undefined; i++) {
    await sleep(100)
    result = await unary(trustsNew(), 'IsActive', demo).catch(() => undefined)
  }
  t.same(result, { result: true }, 'a client trusting only the new CA is served')
  t.equal(await codeOf(unary(client(), 'IsActive', demo)), grpc.status.UNAVAILABLE, 'a new connection trusting only the old CA is refused')
})

t.test('start-up refuses a client CA file without a certificate, and a taken port, naming the setting', async (t) => {
  const bad = join(pki.dir, 'not-a-ca.crt')
  writeFileSync(bad, 'not a certificate\n')
  await t.rejects(startTestAdapter(['keda.enabled=true', 'keda.port=0', `keda.clientCAFile=${bad}`]), /unable to load keda\.clientCAFile .*no PEM certificate/)
  await t.rejects(startTestAdapter(['keda.enabled=true', `keda.port=${adapter.keda?.port ?? 0}`]), /keda\.host, keda\.port/)
})
