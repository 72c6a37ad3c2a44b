import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig, ConfigError, ignoredEnvNames } from './load.js'
import { adapterConfigSchema } from './adapter-config.js'

const dir = mkdtempSync(join(tmpdir(), 'foresight-config-'))
const file = (name: string, text: string): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

t.test('defaults give the embedded local setup', async (t) => {
  const cfg = loadConfig(adapterConfigSchema, { env: {} })
  t.equal(cfg.listen.host, '127.0.0.1')
  t.equal(cfg.listen.port, 6443)
  t.equal(cfg.auth.mode, 'local')
  t.equal(cfg.source.kind, 'replay')
  t.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.auth.requestHeader), 'frozen all the way down')
})

t.test('precedence: file < env < --set', async (t) => {
  const f = file('a.yaml', 'listen:\n  port: 7000\n  host: 127.0.0.2\nlogLevel: debug\n')
  const cfg = loadConfig(adapterConfigSchema, {
    file: f,
    env: { FORESIGHT_LISTEN__PORT: '7001', FORESIGHT_AUTH__REQUEST_HEADER__ALLOWED_NAMES: 'front-proxy, aggregator' },
    set: ['listen.port=7002'],
  })
  t.equal(cfg.listen.port, 7002)
  t.equal(cfg.listen.host, '127.0.0.2')
  t.equal(cfg.logLevel, 'debug')
  t.same(cfg.auth.requestHeader.allowedNames, ['front-proxy', 'aggregator'])
})

t.test('local mode may use any loopback address', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.equal(loadConfig(adapterConfigSchema, { env: {}, set: [`listen.host=${host}`] }).listen.host, host)
})

const failures: Array<[string, Parameters<typeof loadConfig>[1], RegExp]> = [
  ['missing cert file', { env: {}, set: ['tls.certFile=/nonexistent/tls.crt', 'tls.keyFile=/nonexistent/tls.key'] }, /^unable to load config: 2 problems\n {2}- tls\.certFile: file not found\n {2}- tls\.keyFile: file not found$/],
  ['unknown key in file', { env: {}, file: file('b.yaml', 'listen:\n  prot: 1\n') }, /^unable to load config: listen\.prot: unknown key$/],
  ['unknown top-level key', { env: {}, file: file('c.yaml', 'colour: blue\n') }, /^unable to load config: colour: unknown key$/],
  ['unknown --set key', { env: {}, set: ['listen.nope=1'] }, /^unable to load config: listen\.nope: unknown key$/],
  ['--set without =', { env: {}, set: ['listen.port'] }, /expected key=value/],
  ['--set on a group', { env: {}, set: ['listen=x'] }, /^unable to load config: listen: a group of settings, not one \(set its keys, e\.g\. listen\.host=\.\.\.\)$/],
  ['every problem at once', { env: {}, file: file('many.yaml', 'listen:\n  bogus: 1\n  port: eighty\nfoo: 2\n') }, /^unable to load config: 3 problems\n {2}- listen\.port: expected a number, got "eighty"\n {2}- listen\.bogus: unknown key\n {2}- foo: unknown key$/],
  ['every --set problem at once', { env: {}, set: ['listen.nope=1', 'auth=x'] }, /^unable to load config: 2 problems\n {2}- listen\.nope: unknown key\n {2}- auth: a group of settings/],
  ['hexadecimal is not a port', { env: {}, set: ['listen.port=0x1F'] }, /^unable to load config: listen\.port: expected a number, got "0x1F"$/],
  ['port not a number', { env: { FORESIGHT_LISTEN__PORT: 'eighty' } }, /^unable to load config: listen\.port: expected a number, got "eighty"$/],
  ['port not whole', { env: {}, set: ['listen.port=80.5'] }, /^unable to load config: listen\.port: expected a whole number, got 80\.5$/],
  ['a long bad value is cut short', { env: {}, set: [`listen.port=${'9'.repeat(30)}x${'9'.repeat(30)}`] }, /^unable to load config: listen\.port: expected a number, got "9{30}x9{9}\.\.\."$/],
  ['port out of range', { env: {}, set: ['listen.port=70000'] }, /^unable to load config: listen\.port: /],
  ['bad enum', { env: { FORESIGHT_AUTH__MODE: 'open' } }, /^unable to load config: auth\.mode: /],
  ['cluster mode needs a certificate', { env: { FORESIGHT_AUTH__MODE: 'kubernetes' } }, /^unable to load config: tls\.certFile: required when auth\.mode is kubernetes/],
  ['local mode on a public address', { env: {}, set: ['listen.host=0.0.0.0'] }, /^unable to load config: listen\.host: auth\.mode local serves loopback addresses only/],
  ['prometheus without a URL', { env: {}, set: ['source.kind=prometheus'] }, /^unable to load config: source\.url: required$/],
  ['prometheus URL not http', { env: { FORESIGHT_SOURCE__KIND: 'prometheus', FORESIGHT_SOURCE__URL: 'ftp://prom:9090' } }, /^unable to load config: source\.url: /],
  ['basic auth half set', { env: {}, set: ['source.kind=prometheus', 'source.url=http://127.0.0.1:9090', 'source.username=u'] }, /source\.passwordFile: username and passwordFile must be set together/],
  ['replay source has no url', { env: {}, set: ['source.url=http://127.0.0.1:9090'] }, /^unable to load config: source\.url: unknown key$/],
  ['KEDA scaler in local mode on a public address', { env: {}, set: ['keda.enabled=true', 'keda.host=0.0.0.0'] }, /^unable to load config: keda\.host: auth\.mode local serves loopback addresses only, not 0\.0\.0\.0/],
  ['KEDA client CA missing', { env: {}, set: ['keda.enabled=true', `keda.clientCAFile=${join(dir, 'absent-ca.crt')}`] }, /^unable to load config: keda\.clientCAFile: file not found/],
  ['cluster policies in local mode', { env: {}, set: ['policies.source=kubernetes'] }, /policies\.source: kubernetes policies need auth\.mode kubernetes/],
  ['missing config file', { env: {}, file: join(dir, 'absent.yaml') }, /absent\.yaml: file not found/],
  ['file not a mapping', { env: {}, file: file('d.yaml', '- 1\n- 2\n') }, /top level must be a mapping/],
  ['file not YAML', { env: {}, file: file('e.yaml', 'a: [1,\n') }, /not valid YAML or JSON/],
]
for (const [name, sources, re] of failures) {
  t.test(name, async (t) => {
    const err = t.throws(() => loadConfig(adapterConfigSchema, sources))
    t.type(err, ConfigError)
    t.match((err as Error).message, re)
  })
}

t.test('FORESIGHT_ variables that name no setting are reported, known ones and other prefixes are not', async (t) => {
  const env = { FORESIGHT_LISTEN__PORT: '8443', FORESIGHT_LISTEN__PROT: '1', FORESIGHT_AUTH__MODE: 'local', HOME: '/root', FORESIGHTX: '1' }
  t.same(ignoredEnvNames(adapterConfigSchema, env), ['FORESIGHT_LISTEN__PROT'])
  t.same(ignoredEnvNames(adapterConfigSchema, {}), [])
})

t.test('a boolean setting given something else says what it takes', async (t) => {
  const { controllerConfigSchema } = await import('./controller-config.js')
  t.throws(() => loadConfig(controllerConfigSchema, { env: {}, set: ['leaderElection.enabled=yes'] }), { message: 'unable to load config: leaderElection.enabled: expected true or false, got "yes"' })
})
