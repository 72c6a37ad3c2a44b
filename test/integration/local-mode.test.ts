import { mkdtempSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startTestAdapter } from '../helpers/adapter.js'
import { call } from '../helpers/https-client.js'
import { createCA, issueCert } from '../../src/auth/pki.js'
import { makeTestPki } from '../helpers/pki.js'
import { startReviewStandIn } from '../helpers/review-standin.js'

const metric = '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/foresight_desired_replicas'

t.test('local mode: self-signed certificate, no credentials needed, real replayed values', async (t) => {
  const adapter = await startTestAdapter([])
  t.teardown(() => adapter.close())
  const res = await call(`${adapter.apiUrl}${metric}?labelSelector=foresight.dev%2Fpolicy%3Ddemo`, { ca: undefined })
  t.equal(res.status, 200)
  t.equal(res.peer.subject.CN, 'foresight-local')
  t.ok(res.peer.subjectaltname?.includes('IP Address:127.0.0.1'))
  const value = Number((res.json() as { items: Array<{ value: string }> }).items[0]?.value)
  t.ok(Number.isInteger(value) && value >= 1 && value <= 50, `replica count ${value} is within [min, max]`)
})

t.test('on close (SIGTERM) the shutdown delay keeps metrics served, both probes failing readiness, then the ports close', async (t) => {
  const adapter = await startTestAdapter(['shutdownDelayMs=600'])
  const url = `${adapter.apiUrl}${metric}?labelSelector=foresight.dev%2Fpolicy%3Ddemo`
  t.equal((await fetch(`${adapter.metricsUrl}/readyz`)).status, 200, 'ready before')
  const closed = adapter.close()
  t.equal((await fetch(`${adapter.metricsUrl}/readyz`)).status, 503, 'the probe port reports not ready while draining')
  t.equal((await call(`${adapter.apiUrl}/readyz`, { ca: undefined })).status, 503, 'so does the API port')
  t.equal((await call(url, { ca: undefined })).status, 200, 'a metric read during the delay is still answered')
  await closed
  await t.rejects(call(url, { ca: undefined }), { code: 'ECONNREFUSED' }, 'closed after the delay')
})

t.test('a source with no data for now answers 503, and the server keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-trace-'))
  const trace = join(dir, 'empty.csv')
  writeFileSync(trace, 'timestamp,requests\n2020-01-01 00:00:00,\n2020-01-01 00:01:00,\n')
  const adapter = await startTestAdapter([`source.traceFile=${trace}`])
  t.teardown(() => adapter.close())
  const res = await call(`${adapter.apiUrl}${metric}`, { ca: undefined })
  t.equal(res.status, 503)
  t.match(res.json(), { kind: 'Status', reason: 'ServiceUnavailable', code: 503 })
  t.equal((await call(`${adapter.apiUrl}/apis/external.metrics.k8s.io/v1beta1`, { ca: undefined })).status, 200)
})

t.test('a port in use stops start-up naming the settings that move it', async (t) => {
  const first = await startTestAdapter([])
  t.teardown(() => first.close())
  const metricsPort = new URL(first.metricsUrl).port
  const apiPort = new URL(first.apiUrl).port
  await t.rejects(startTestAdapter([`metrics.port=${metricsPort}`]), { message: /^unable to start adapter: listen EADDRINUSE.*\(settings metrics\.host, metrics\.port\)$/ })
  await t.rejects(startTestAdapter([`listen.port=${apiPort}`]), { message: /^unable to start adapter: listen EADDRINUSE.*\(settings listen\.host, listen\.port\)$/ })
})

t.test('kubernetes mode reads the request-header CA from kube-system/extension-apiserver-authentication', async (t) => {
  const pki = makeTestPki()
  const standIn = await startReviewStandIn()
  t.teardown(() => standIn.close())
  const base = ['auth.mode=kubernetes', `auth.kubeconfig=${standIn.kubeconfigFile}`, `tls.certFile=${pki.servingFiles.certFile}`, `tls.keyFile=${pki.servingFiles.keyFile}`]

  await t.rejects(startTestAdapter(base), /unable to read configmap kube-system\/extension-apiserver-authentication/, 'a missing ConfigMap stops start-up with a clear error')

  standIn.configMap = { 'requestheader-client-ca-file': pki.requestHeaderCA.certPem, 'requestheader-allowed-names': '["someone-else"]' }
  const adapter = await startTestAdapter(base)
  t.teardown(() => adapter.close())
  standIn.allow.add('alice|default|foresight_desired_replicas')
  const asCert = (c: { certPem: string; keyPem: string }): Parameters<typeof call>[1] => ({ ca: pki.servingCA.certPem, cert: c.certPem, key: c.keyPem, headers: { 'x-remote-user': 'alice' } })
  t.equal((await call(`${adapter.apiUrl}${metric}`, asCert(pki.wrongName))).status, 200, 'the allowed name from the ConfigMap is trusted')
  t.equal((await call(`${adapter.apiUrl}${metric}`, asCert(pki.frontProxy))).status, 401, 'names the ConfigMap does not allow are not')
})

t.test('a rotated front-proxy CA and new allowed names in the ConfigMap are picked up without a restart', async (t) => {
  const pki = makeTestPki()
  const standIn = await startReviewStandIn()
  t.teardown(() => standIn.close())
  standIn.configMap = { 'requestheader-client-ca-file': pki.requestHeaderCA.certPem, 'requestheader-allowed-names': '["front-proxy-client"]' }
  const adapter = await startTestAdapter(['auth.mode=kubernetes', `auth.kubeconfig=${standIn.kubeconfigFile}`, `tls.certFile=${pki.servingFiles.certFile}`,
    `tls.keyFile=${pki.servingFiles.keyFile}`, 'auth.requestHeader.reloadIntervalMs=100'])
  t.teardown(() => adapter.close())
  standIn.allow.add('alice|default|foresight_desired_replicas')
  const nextCA = createCA('test-front-proxy-ca-2')
  const nextProxy = issueCert(nextCA, { commonName: 'aggregator', usage: 'client' })
  // Each proxy once over a fresh connection and once over one kept alive across the reloads, as the aggregator
  // keeps its connections: the verdict must follow the CA as it is now, not as it was at the handshake.
  const kept = new Map<string, Agent>()
  t.teardown(() => {
    for (const agent of kept.values()) agent.destroy()
  })
  const status = async (c: { certPem: string; keyPem: string }, keepAlive: boolean): Promise<number> => {
    let agent = kept.get(c.certPem)
    if (keepAlive && agent === undefined) kept.set(c.certPem, (agent = new Agent({ keepAlive: true, maxSockets: 1 })))
    return (await call(`${adapter.apiUrl}${metric}`, { ca: pki.servingCA.certPem, cert: c.certPem, key: c.keyPem, headers: { 'x-remote-user': 'alice' }, ...(keepAlive && agent !== undefined ? { agent } : {}) })).status
  }
  const both = async (c: { certPem: string; keyPem: string }): Promise<number[]> => [await status(c, false), await status(c, true)]
  t.same(await both(pki.frontProxy), [200, 200], 'the first CA and name are trusted')
  t.same(await both(nextProxy), [401, 401], 'a proxy certificate from a CA not yet published is not')

  const until = async (want: () => Promise<boolean>): Promise<boolean> => {
    for (let i = 0; i < 50; i++) {
      if (await want()) return true
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return false
  }
  // kube-apiserver publishes the new CA beside the old one during a rotation, then the new one alone.
  standIn.configMap = { 'requestheader-client-ca-file': pki.requestHeaderCA.certPem + nextCA.certPem, 'requestheader-allowed-names': '["front-proxy-client","aggregator"]' }
  t.ok(await until(async () => (await status(nextProxy, false)) === 200), 'the new CA and name are trusted once re-read')
  t.same(await both(nextProxy), [200, 200], 'also on the connection that was refused before')
  t.same(await both(pki.frontProxy), [200, 200], 'the old one still is while both are published')
  standIn.configMap = { 'requestheader-client-ca-file': nextCA.certPem, 'requestheader-allowed-names': '["aggregator"]' }
  t.ok(await until(async () => (await status(pki.frontProxy, false)) === 401), 'the old CA is refused once it is withdrawn')
  t.same(await both(pki.frontProxy), [401, 401], 'also on its kept-alive connection')
  t.same(await both(nextProxy), [200, 200])
  t.equal(kept.size, 2)

  // Broken updates: a body that is not a certificate under the right armour, and no certificate at all.
  for (const broken of ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'not a certificate']) {
    standIn.configMap = { 'requestheader-client-ca-file': broken, 'requestheader-allowed-names': '[]' }
    await new Promise((resolve) => setTimeout(resolve, 400))
    t.same(await both(nextProxy), [200, 200], 'a broken ConfigMap keeps the last good settings')
  }
})
