import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { packageRoot } from '../util/paths.js'
import { resolveKubeconfig, type Resolved } from './kubeconfig.js'

const DIR = join(packageRoot(), 'test', 'fixtures', 'kubeconfig')

/** Resolves a fixture through a loader that records every file it is asked for. */
function resolveFixture(name: string): { resolved: Resolved; read: string[] } {
  const read: string[] = []
  const load = (path: string): string => {
    read.push(path)
    return readFileSync(path, 'utf8')
  }
  const file = join(DIR, name)
  return { resolved: resolveKubeconfig(load(file), file, load), read }
}

t.test('the current context: its server (with a path prefix), inline CA, TLS server name and token', async (t) => {
  const { resolved } = resolveFixture('token.yaml')
  if (!resolved.ok) throw new Error(resolved.unsupported)
  t.equal(resolved.context, 'prod')
  t.equal(resolved.access.server.href, 'https://10.0.0.1:6443/prefix')
  t.equal(resolved.access.ca, '-----BEGIN CERTIFICATE-----\nprod-ca\n-----END CERTIFICATE-----\n')
  t.equal(resolved.access.tlsServerName, 'kubernetes.default')
  t.equal(resolved.access.token, 'prod-token', 'the current user, not the first')
  t.equal(resolved.access.clientCert, undefined)
})

t.test('certificate files relative to the kubeconfig, read through the loader', async (t) => {
  const { resolved, read } = resolveFixture('client-cert-files.yaml')
  if (!resolved.ok) throw new Error(resolved.unsupported)
  t.same(read.slice(1), ['ca.crt', 'admin.crt', 'admin.key'].map((f) => join(DIR, 'certs', f)))
  t.match(resolved.access.ca, /fixture-ca/)
  t.match(resolved.access.clientCert, /fixture-admin\n/)
  t.match(resolved.access.clientKey, /fixture-admin-key/)
  t.equal(resolved.access.token, undefined)
})

t.test('a token file is named, not read: it is re-read on use as it rotates', async (t) => {
  const { resolved, read } = resolveFixture('token-file.yaml')
  if (!resolved.ok) throw new Error(resolved.unsupported)
  t.equal(resolved.access.tokenFile, join(DIR, 'certs', 'token'))
  t.equal(resolved.access.insecureSkipTLSVerify, true)
  t.equal(read.length, 1, 'only the kubeconfig itself was read')
})

t.test('credentials only client-node knows are reported, not refused', async (t) => {
  t.same(resolveFixture('exec.yaml').resolved, { ok: false, unsupported: 'an exec credential plugin' })
  const text = (user: string, cluster = ''): string => `current-context: c
clusters: [{ name: c, cluster: { server: 'https://x:6443'${cluster} } }]
users: [{ name: u, user: ${user} }]
contexts: [{ name: c, context: { cluster: c, user: u } }]`
  const kinds: Array<[string, string, string?]> = [
    ['{ auth-provider: { name: oidc } }', 'an auth-provider plugin'],
    ['{ username: a, password: b }', 'basic authentication'],
    ['{ token: t, as: someone }', 'impersonation'],
    ['{ token: t }', 'a proxy-url', ", proxy-url: 'http://proxy:3128'"],
  ]
  for (const [user, why, cluster] of kinds) {
    t.same(resolveKubeconfig(text(user, cluster), '/k', () => { throw new Error('no file expected') }), { ok: false, unsupported: why }, why)
  }
})

t.test('a kubeconfig that cannot work is refused with what is wrong', async (t) => {
  t.throws(() => resolveFixture('missing-user.yaml'), { name: 'KubeconfigError', message: `unable to read kubeconfig ${join(DIR, 'missing-user.yaml')}: user "nobody" of context "broken" is not defined` })
  t.throws(() => resolveFixture('cert-without-key.yaml'), /client certificate without its key/)
  const none = (): string => { throw new Error('ENOENT: no such file') }
  t.throws(() => resolveKubeconfig('clusters: [', '/k', none), /^unable to parse kubeconfig \/k: /)
  t.throws(() => resolveKubeconfig('clusters: []', '/k', none), /no current-context/)
  t.throws(() => resolveKubeconfig('current-context: x\ncontexts: []', '/k', none), /context "x" is not defined/)
  t.throws(() => resolveKubeconfig('current-context: x\ncontexts: [{ name: x, context: { cluster: c } }]', '/k', none), /cluster "c" of context "x" is not defined/)
  t.throws(() => resolveKubeconfig('current-context: x\nclusters: 7', '/k', none), /^unable to read kubeconfig \/k: clusters: /)
  t.throws(() => resolveKubeconfig(`current-context: x
clusters: [{ name: c, cluster: { server: 'https://x', certificate-authority: ca.pem } }]
contexts: [{ name: x, context: { cluster: c } }]`, '/etc/kube/config', none), { message: 'unable to read the certificate authority /etc/kube/ca.pem named by kubeconfig /etc/kube/config: ENOENT: no such file' })
  t.throws(() => resolveKubeconfig(`current-context: x
clusters: [{ name: c, cluster: { server: 'not a url' } }]
contexts: [{ name: x, context: { cluster: c } }]`, '/k', none), /no valid server URL/)
})

t.test('a context without a user is anonymous', async (t) => {
  const r = resolveKubeconfig(`current-context: x
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:8080' } }]
contexts: [{ name: x, context: { cluster: c } }]`, '/k', () => '')
  t.match(r, { ok: true, access: { server: new URL('http://127.0.0.1:8080') } })
  if (r.ok) t.same(Object.keys(r.access), ['server'])
})
