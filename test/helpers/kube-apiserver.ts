import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCA, issueCert, type CertificateAuthority } from '../../src/auth/pki.js'

// A real etcd and kube-apiserver (the cached builds of hack/build-control-plane.sh), started on free loopback
// ports in a temporary directory: no controllers, no nodes, nothing shared with hack/cluster-up.sh's cluster, so
// it can run beside the e2e suite. For tests of the apiserver calls themselves (reviews, status, Events, watches).

const CACHE = process.env.FORESIGHT_CACHE ?? join(homedir(), '.cache', 'foresight')
const APISERVER = join(CACHE, `k8s-${process.env.K8S_VERSION ?? 'v1.34.4'}`, 'bin', 'kube-apiserver')
const ETCD = join(CACHE, `etcd-${process.env.ETCD_VERSION ?? 'v3.5.35'}`, 'bin', 'etcd')

export interface KubeApiserver {
  url: string
  dir: string
  /** The CA of the apiserver's serving certificate. */
  servingCA: CertificateAuthority
  /** Client certificates this CA signs authenticate (O becomes a group). */
  clientCA: CertificateAuthority
  /** The front-proxy CA the apiserver publishes in kube-system/extension-apiserver-authentication. */
  frontProxyCA: CertificateAuthority
  /** A kubeconfig for a client-certificate user in system:masters. */
  adminKubeconfig: string
  /** Writes a kubeconfig for this apiserver with the given user entry (token, tokenFile, exec, ...). */
  kubeconfig(name: string, user: Record<string, unknown>): string
  close(): Promise<void>
}

/** Why the binaries are missing (a skip message), or undefined when both are built. */
export function kubeApiserverMissing(): string | undefined {
  for (const bin of [APISERVER, ETCD]) if (!existsSync(bin)) return `${bin} is not built (hack/build-control-plane.sh)`
  return undefined
}

async function freePort(): Promise<number> {
  const srv = createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as { port: number }).port
  srv.close()
  await once(srv, 'close')
  return port
}

function logTo(dir: string, name: string): number {
  return openSync(join(dir, `${name}.log`), 'a')
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return
  p.kill('SIGTERM')
  const timer = setTimeout(() => p.kill('SIGKILL'), 10_000)
  await once(p, 'exit')
  clearTimeout(timer)
}

export async function startKubeApiserver(): Promise<KubeApiserver> {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-apiserver-'))
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()]
  const procs: ChildProcess[] = []
  const close = async (): Promise<void> => {
    for (const p of procs.reverse()) await stop(p)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const etcdLog = logTo(dir, 'etcd')
    procs.push(spawn(ETCD, [
      `--data-dir=${join(dir, 'etcd')}`, '--name=default',
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`, '--log-level=warn', '--quota-backend-bytes=268435456',
    ], { stdio: ['ignore', etcdLog, etcdLog] }))
    closeSync(etcdLog)

    const servingCA = createCA('apiserver-serving-ca')
    const clientCA = createCA('apiserver-client-ca')
    const frontProxyCA = createCA('front-proxy-ca')
    const serving = issueCert(servingCA, { commonName: 'kube-apiserver', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' })
    const admin = issueCert(clientCA, { commonName: 'test-admin', organizations: ['system:masters'], usage: 'client' })
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const files: Record<string, string> = {
      'serving.crt': serving.certPem, 'serving.key': serving.keyPem, 'client-ca.crt': clientCA.certPem, 'front-proxy-ca.crt': frontProxyCA.certPem,
      'sa.key': sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'sa.pub': sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'admin.crt': admin.certPem, 'admin.key': admin.keyPem,
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 })

    const apiLog = logTo(dir, 'kube-apiserver')
    procs.push(spawn(APISERVER, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
      `--tls-cert-file=${join(dir, 'serving.crt')}`, `--tls-private-key-file=${join(dir, 'serving.key')}`,
      `--client-ca-file=${join(dir, 'client-ca.crt')}`,
      `--requestheader-client-ca-file=${join(dir, 'front-proxy-ca.crt')}`, '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc', '--api-audiences=https://kubernetes.default.svc',
      '--authorization-mode=RBAC', '--service-cluster-ip-range=10.96.0.0/16', '--enable-priority-and-fairness=false',
      '--disable-admission-plugins=ServiceAccount', '--endpoint-reconciler-type=none', '-v=1',
    ], { stdio: ['ignore', apiLog, apiLog] }))
    closeSync(apiLog)

    const url = `https://127.0.0.1:${securePort}`
    const kubeconfig = (name: string, user: Record<string, unknown>): string => {
      const file = join(dir, `${name}.kubeconfig`)
      writeFileSync(file, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': name,
        clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority': join(dir, 'serving-ca.crt') } }],
        users: [{ name, user }],
        contexts: [{ name, context: { cluster: 'test', user: name } }],
      }))
      return file
    }
    writeFileSync(join(dir, 'serving-ca.crt'), servingCA.certPem)
    const adminKubeconfig = kubeconfig('admin', { 'client-certificate': join(dir, 'admin.crt'), 'client-key': join(dir, 'admin.key') })
    await waitReady(url, servingCA.certPem, admin, procs)
    return { url, dir, servingCA, clientCA, frontProxyCA, adminKubeconfig, kubeconfig, close }
  } catch (err) {
    const tail = existsSync(join(dir, 'kube-apiserver.log')) ? readFileSync(join(dir, 'kube-apiserver.log'), 'utf8').slice(-3000) : ''
    await close()
    throw new Error(`kube-apiserver did not start: ${(err as Error).message}\n${tail}`, { cause: err })
  }
}

/** /readyz as the admin, until ok: the apiserver's post-start hooks (RBAC bootstrap roles) are done then. */
async function waitReady(url: string, ca: string, admin: { certPem: string; keyPem: string }, procs: ChildProcess[]): Promise<void> {
  const { request } = await import('node:https')
  const deadline = Date.now() + 120_000
  for (;;) {
    for (const p of procs) if (p.exitCode !== null) throw new Error(`${String(p.spawnfile)} exited with ${p.exitCode}`)
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${url}/readyz`, { ca, cert: admin.certPem, key: admin.keyPem, timeout: 5_000 }, (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      })
      req.on('error', () => resolve(false))
      req.on('timeout', () => req.destroy())
      req.end()
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error('not ready within 120 s')
    await new Promise((r) => setTimeout(r, 500))
  }
}
