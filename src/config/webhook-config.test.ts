import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from './load.js'
import { webhookConfigSchema } from './webhook-config.js'

const dir = mkdtempSync(join(tmpdir(), 'foresight-webhook-config-'))
const certFile = join(dir, 'tls.crt')
const keyFile = join(dir, 'tls.key')
writeFileSync(certFile, 'cert')
writeFileSync(keyFile, 'key')
const files = [`tls.certFile=${certFile}`, `tls.keyFile=${keyFile}`]

t.test('defaults with certificate files', async (t) => {
  const cfg = loadConfig(webhookConfigSchema, { env: {}, set: files })
  t.equal(cfg.listen.host, '127.0.0.1')
  t.equal(cfg.listen.port, 8443)
  t.equal(cfg.tls.selfSigned, false)
  t.equal(cfg.lookups.enabled, true)
  t.equal(cfg.lookups.timeoutMs, 1500)
  t.equal(cfg.maxBodyBytes, 1024 * 1024)
  t.equal(cfg.logLevel, 'info')
  t.equal(cfg.kubeconfig, undefined)
})

t.test('self-signed local runs', async (t) => {
  const cfg = loadConfig(webhookConfigSchema, { env: {}, set: ['tls.selfSigned=true', 'lookups.enabled=false', 'listen.port=0'] })
  t.equal(cfg.tls.selfSigned, true)
  t.equal(cfg.lookups.enabled, false)
  t.equal(cfg.listen.port, 0)
})

t.test('environment', async (t) => {
  const cfg = loadConfig(webhookConfigSchema, { env: { FORESIGHT_TLS__SELF_SIGNED: 'true', FORESIGHT_LOOKUPS__TIMEOUT_MS: '700' } })
  t.equal(cfg.lookups.timeoutMs, 700)
})

t.test('invalid configurations', async (t) => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no certificate', [], /tls\.certFile: required: the apiserver only calls webhooks over verified TLS/],
    ['cert without key', [`tls.certFile=${certFile}`], /tls\.keyFile: certFile and keyFile must be set together/],
    ['missing file', ['tls.certFile=/nope/tls.crt', `tls.keyFile=${keyFile}`], /tls\.certFile: file not found/],
    ['both', [...files, 'tls.selfSigned=true'], /tls\.selfSigned: selfSigned and certFile exclude each other/],
    ['self-signed off loopback', ['tls.selfSigned=true', 'listen.host=0.0.0.0'], /listen\.host: tls\.selfSigned serves loopback addresses only/],
    ['lookup deadline too long', [...files, 'lookups.timeoutMs=5000'], /lookups\.timeoutMs/],
    ['tiny body limit', [...files, 'maxBodyBytes=10'], /maxBodyBytes/],
    ['unknown key', [...files, 'listen.bogus=1'], /listen\.bogus: unknown key/],
  ]
  for (const [name, set, want] of cases) t.throws(() => loadConfig(webhookConfigSchema, { env: {}, set }), { name: 'ConfigError', message: want }, name)
})
