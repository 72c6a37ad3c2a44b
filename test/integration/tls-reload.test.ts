import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from 'node:https'
import t from 'tap'
import { issueCert } from '../../src/auth/pki.js'
import { startTestAdapter } from '../helpers/adapter.js'
import { call } from '../helpers/https-client.js'
import { makeTestPki } from '../helpers/pki.js'

const pki = makeTestPki()
const adapter = await startTestAdapter([`tls.certFile=${pki.servingFiles.certFile}`, `tls.keyFile=${pki.servingFiles.keyFile}`, 'tls.reloadIntervalMs=100'])
t.teardown(() => adapter.close())
const ca = pki.servingCA.certPem
const url = `${adapter.apiUrl}/apis/external.metrics.k8s.io/v1beta1`

async function serialOfNewConnection(): Promise<string> {
  return (await call(url, { ca })).peer.serialNumber
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await pred()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

t.test('a rotated certificate is served to new connections; open connections stay up', async (t) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const first = await call(url, { ca, agent })
  t.equal(first.status, 200)
  const oldSerial = first.peer.serialNumber

  const next = issueCert(pki.servingCA, { commonName: 'foresight', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' })
  writeFileSync(pki.servingFiles.keyFile, next.keyPem)
  writeFileSync(pki.servingFiles.certFile, next.certPem)
  t.ok(await waitFor(async () => (await serialOfNewConnection()) !== oldSerial, 5_000), 'new connections get the new certificate')

  const again = await call(url, { ca, agent })
  t.equal(again.status, 200, 'the kept-alive connection still works')
  t.equal(again.peer.serialNumber, oldSerial, 'and it is the same connection, not a new one')
})

t.test('a broken rotation is ignored and the current certificate keeps serving', async (t) => {
  const current = await serialOfNewConnection()
  const other = issueCert(pki.servingCA, { commonName: 'foresight', ipAddresses: ['127.0.0.1'], usage: 'server' })
  writeFileSync(pki.servingFiles.certFile, other.certPem) // key file left as is: a mismatched pair
  await new Promise((r) => setTimeout(r, 400))
  t.equal(adapter.reloader?.check(), false, 'the mismatched pair is refused')
  const res = await call(url, { ca })
  t.equal(res.status, 200)
  t.equal(res.peer.serialNumber, current)
  writeFileSync(pki.servingFiles.certFile, 'not a certificate')
  t.equal(adapter.reloader?.check(), false)
  t.equal((await call(url, { ca })).status, 200)
})

t.test('an empty serving certificate or key stops start-up with a one-line error (the CLI prints it and exits 1)', async (t) => {
  const empty = join(pki.dir, 'empty.pem')
  writeFileSync(empty, '')
  const fresh = makeTestPki()
  for (const [cert, key] of [[empty, fresh.servingFiles.keyFile], [fresh.servingFiles.certFile, empty]]) {
    await t.rejects(startTestAdapter([`tls.certFile=${cert}`, `tls.keyFile=${key}`]), { name: 'TlsLoadError', message: /^unable to load serving certificate: .*\/empty\.pem is empty$/ })
  }
})
