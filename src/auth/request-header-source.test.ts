import { pino } from 'pino'
import t from 'tap'
import type { RequestHeaderAuthConfig } from './request-header-source.js'
import { createCA } from './pki.js'
import { RequestHeaderSource, withParsedCA } from './request-header-source.js'

const ca1 = createCA('front-proxy-ca-1').certPem
const ca2 = createCA('front-proxy-ca-2').certPem
const base: RequestHeaderAuthConfig = { clientCAPem: ca1, allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'] }
// Right armour, corrupt body: it passes a "BEGIN CERTIFICATE" check and TLS would load it without complaint.
const corrupt = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'

interface Setup { source: RequestHeaderSource; installed: string[]; next: { value: RequestHeaderAuthConfig | Error | 'hang' } }

function setup(readTimeoutMs = 1_000): Setup {
  const next: Setup['next'] = { value: base }
  const installed: string[] = []
  const source = new RequestHeaderSource({
    read: async () => {
      if (next.value === 'hang') return new Promise<never>(() => undefined)
      if (next.value instanceof Error) throw next.value
      return next.value
    },
    intervalMs: 60_000,
    readTimeoutMs,
    log: pino({ level: 'silent' }),
  }, withParsedCA(base))
  source.start((pem) => {
    installed.push(pem)
  })
  return { source, installed, next }
}

t.test('unchanged settings install nothing', async (t) => {
  const { source, installed } = setup()
  t.teardown(() => source.stop())
  t.equal(await source.check(), false)
  t.same(installed, [])
})

t.test('new allowed names apply without touching TLS; a new CA is installed and parsed for the chain check', async (t) => {
  const { source, installed, next } = setup()
  t.teardown(() => source.stop())
  const before = source.current()
  next.value = { ...base, allowedNames: ['aggregator'] }
  t.equal(await source.check(), true)
  t.same(source.current().allowedNames, ['aggregator'])
  t.not(source.current(), before, 'a new settings object, so per-connection verdicts are taken again')
  t.same(installed, [], 'same CA: no new TLS context')
  next.value = { ...base, clientCAPem: ca1 + ca2, allowedNames: ['aggregator'] }
  t.equal(await source.check(), true)
  t.same(installed, [ca1 + ca2])
  t.equal(source.current().clientCAs.length, 2, 'both CAs of the bundle count')
})

t.test('a bundle that is not CA certificates, or a failed read, keeps every current setting', async (t) => {
  const { source, installed, next } = setup()
  t.teardown(() => source.stop())
  const before = source.current()
  for (const clientCAPem of [corrupt, 'not a certificate', '']) {
    next.value = { ...base, clientCAPem, allowedNames: ['someone-else'] }
    t.equal(await source.check(), false, JSON.stringify(clientCAPem.slice(0, 30)))
    t.equal(source.current(), before, 'the allowed names did not change without their CA')
  }
  next.value = new Error('connection refused')
  t.equal(await source.check(), false)
  t.equal(source.current(), before)
  t.same(installed, [], 'nothing reached TLS')
  next.value = { ...base, clientCAPem: ca2 }
  t.equal(await source.check(), true, 'a later good update applies')
  t.same(installed, [ca2])
})

t.test('a read that never answers times out, and the next check reads again', async (t) => {
  const { source, next } = setup(50)
  t.teardown(() => source.stop())
  next.value = 'hang'
  t.equal(await source.check(), false)
  next.value = { ...base, allowedNames: ['aggregator'] }
  t.equal(await source.check(), true, 'not stuck behind the hung read')
})

t.test('withParsedCA refuses what is not a CA bundle', async (t) => {
  t.throws(() => withParsedCA({ ...base, clientCAPem: corrupt }), { name: 'CABundleError', message: /certificate 1 of the CA bundle does not parse/ })
})
