import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server as TlsServer } from 'node:tls'
import type { Logger } from 'pino'
import t from 'tap'
import { issueCert } from '../auth/pki.js'
import { CertReloader, PemPairWatcher, readServingFiles } from './tls.js'

const good = issueCert(undefined, { commonName: 'foresight', dnsNames: ['localhost'], usage: 'server' })
const other = issueCert(undefined, { commonName: 'foresight', dnsNames: ['localhost'], usage: 'server' })

function files(certPem: string, keyPem: string): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-tls-'))
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, certPem)
  writeFileSync(keyFile, keyPem)
  return { certFile, keyFile }
}

t.test('readServingFiles refuses an empty certificate or key (Node would build a context that fails every handshake)', async (t) => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['empty certificate', '', good.keyPem, /tls\.crt is empty/],
    ['empty key', good.certPem, '', /tls\.key is empty/],
    ['both empty', '', '', /tls\.crt is empty/],
    ['whitespace certificate', ' \n\n', good.keyPem, /tls\.crt is empty/],
    ['whitespace key', good.certPem, '\n', /tls\.key is empty/],
    ['garbage certificate', 'not a certificate', good.keyPem, /unable to load serving certificate/],
    ['mismatched pair', other.certPem, good.keyPem, /unable to load serving certificate/],
    ['key in place of the certificate', good.keyPem, good.keyPem, /unable to load serving certificate/],
  ]
  for (const [name, cert, key, want] of cases) {
    const f = files(cert, key)
    t.throws(() => readServingFiles(f.certFile, f.keyFile), { name: 'TlsLoadError', message: want }, name)
  }
  const f = files(good.certPem, good.keyPem)
  t.same(readServingFiles(f.certFile, f.keyFile), { certPem: good.certPem, keyPem: good.keyPem })
})

t.test('a rotation to an empty or broken pair keeps the current pair and warns once per broken pair', async (t) => {
  const f = files(good.certPem, good.keyPem)
  const installed: string[] = []
  const server = { setSecureContext: (o: { cert: string }) => { installed.push(o.cert) } } as unknown as TlsServer
  const warnings: string[] = []
  const log = { warn: (_o: object, msg: string) => { warnings.push(msg) }, info: () => undefined } as unknown as Logger
  const reloader = new CertReloader(server, { ...f, intervalMs: 1_000, log }, good)

  writeFileSync(f.certFile, '')
  for (let i = 0; i < 5; i++) t.equal(reloader.check(), false, 'an emptied certificate is refused')
  t.same(installed, [], 'nothing installed')
  t.equal(warnings.length, 1, 'warned once, not every interval')

  writeFileSync(f.certFile, good.certPem)
  writeFileSync(f.keyFile, '')
  for (let i = 0; i < 3; i++) t.equal(reloader.check(), false, 'an emptied key is refused')
  t.equal(warnings.length, 2, 'a different broken state is reported')

  writeFileSync(f.keyFile, good.keyPem)
  writeFileSync(f.certFile, other.certPem)
  for (let i = 0; i < 3; i++) t.equal(reloader.check(), false, 'a mismatched pair is refused')
  t.equal(warnings.length, 3)

  writeFileSync(f.certFile, other.certPem)
  writeFileSync(f.keyFile, other.keyPem)
  t.equal(reloader.check(), true, 'a good pair is installed')
  t.same(installed, [other.certPem])
  writeFileSync(f.keyFile, '')
  t.equal(reloader.check(), false)
  t.equal(warnings.length, 4, 'breaking it again after a good pair is reported again')
})

t.test('a pair the holder refuses to install is kept out and reported once; the KEDA scaler rotates through the same watcher', async (t) => {
  const f = files(good.certPem, good.keyPem)
  const warnings: string[] = []
  const log = { warn: (_o: object, msg: string) => { warnings.push(msg) }, info: () => undefined } as unknown as Logger
  let accept = false
  const installed: string[] = []
  const watcher = new PemPairWatcher({ ...f, intervalMs: 1_000, log, holder: 'the KEDA scaler' }, good, (pair) => {
    if (!accept) throw new Error('listener refused the pair')
    installed.push(pair.certPem)
  })
  writeFileSync(f.certFile, other.certPem)
  writeFileSync(f.keyFile, other.keyPem)
  for (let i = 0; i < 3; i++) t.equal(watcher.check(), false, 'refused by the holder')
  t.same(warnings, ['serving certificate changed but is not loadable; the KEDA scaler keeps the current one'], 'once, naming the holder')
  t.equal(watcher.pair.certPem, good.certPem, 'the current pair stays')
  accept = true
  t.equal(watcher.check(), true, 'installed once the holder takes it')
  t.same(installed, [other.certPem])
  t.equal(watcher.pair.certPem, other.certPem)
  t.equal(watcher.check(), false, 'an unchanged pair is not installed again')
})
