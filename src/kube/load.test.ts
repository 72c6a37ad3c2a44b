import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { packageRoot } from '../util/paths.js'
import { ownConnection } from './connection.js'
import { loadConnection } from './load.js'

const FIXTURES = join(packageRoot(), 'test', 'fixtures', 'kubeconfig')

t.test('in a pod: the service host and port, its CA, and its token file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-sa-'))
  writeFileSync(join(dir, 'ca.crt'), 'pod-ca')
  writeFileSync(join(dir, 'token'), 'pod-token\n')
  const c = await loadConnection(undefined, { env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: dir })
  t.equal(c.server.href, 'https://[fd00::1]/', 'an IPv6 service address in brackets')
  t.equal(c.origin, "the pod's service account")
  t.same((await c.settings()).headers, { Authorization: 'Bearer pod-token' })
  t.same(((await c.settings()).agent as unknown as { options: { ca?: string } } | undefined)?.options.ca, 'pod-ca')
})

t.test('neither a pod nor a kubeconfig: the setting to give is named', async (t) => {
  await t.rejects(loadConnection(undefined, { env: {}, setting: 'auth.kubeconfig' }), { message: 'no cluster to talk to: not running in a pod with a service account, and auth.kubeconfig is not set (give a kubeconfig file)' })
  await t.rejects(loadConnection(undefined, { env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, serviceAccountDir: '/nonexistent' }), /^unable to read the service account's CA \/nonexistent\/ca\.crt/)
  await t.rejects(loadConnection('/nonexistent/kubeconfig'), /^unable to read kubeconfig \/nonexistent\/kubeconfig: ENOENT/)
})

t.test('a rotated token file is read again once the last read is a minute old', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-token-'))
  const file = join(dir, 'token')
  writeFileSync(file, 'first')
  let now = 0
  const c = ownConnection({ server: new URL('https://127.0.0.1:1'), tokenFile: file }, 'test', { now: () => now })
  t.equal((await c.settings()).headers.Authorization, 'Bearer first')
  // kubelet rotates by writing a new file and renaming it over the old one.
  writeFileSync(join(dir, 'next'), 'second')
  renameSync(join(dir, 'next'), file)
  now = 59_999
  t.equal((await c.settings()).headers.Authorization, 'Bearer first', 'reused within the minute')
  now = 60_000
  t.equal((await c.settings()).headers.Authorization, 'Bearer second', 'the new token after it')
  renameSync(file, join(dir, 'gone'))
  now = 120_000
  t.equal((await c.settings()).headers.Authorization, 'Bearer second', 'a read that misses the file keeps the last token')
  const fresh = ownConnection({ server: new URL('https://127.0.0.1:1'), tokenFile: file }, 'test')
  await t.rejects(fresh.settings(), /^unable to read the token file .*\/token: ENOENT/)
})

t.test('an exec plugin: the kubeconfig goes to client-node, whose plugin gives the token', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-exec-'))
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'from-the-plugin' } })
  const text = readFileSync(join(FIXTURES, 'exec.yaml'), 'utf8')
    .replace('command: cloud-cli', `command: ${JSON.stringify(process.execPath)}`)
    .replace('args: [get-token]', `args: ['-e', ${JSON.stringify(`console.log(${JSON.stringify(credential)})`)}]`)
  writeFileSync(join(dir, 'kubeconfig'), text)
  const why: string[] = []
  const c = await loadConnection(join(dir, 'kubeconfig'), { onFallback: (w) => why.push(w) })
  t.same(why, ['an exec credential plugin'])
  t.equal(c.server.href, 'https://cloud.example/')
  t.equal(c.origin, 'kubeconfig context "cloud"')
  t.equal((await c.settings()).headers.Authorization, 'Bearer from-the-plugin')
})
