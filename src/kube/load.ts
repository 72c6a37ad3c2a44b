import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { clientNodeConnection } from './client-node-connection.js'
import { ownConnection, type Connection } from './connection.js'
import { resolveKubeconfig, type FileLoader } from './kubeconfig.js'
import { KubeClient } from './rest.js'

// Where the adapter's Kubernetes client gets its server and credentials: a kubeconfig file when one is given,
// else the pod's service account. A kubeconfig whose credentials the own client does not handle is loaded with
// @kubernetes/client-node, imported only then, so that user keeps every credential kind kubectl knows.

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export interface LoadOptions {
  /** The configuration key for the error when there is neither a kubeconfig nor a pod (e.g. auth.kubeconfig). */
  setting?: string
  /** The environment with KUBERNETES_SERVICE_HOST/PORT; the process's by default. */
  env?: Readonly<Record<string, string | undefined>>
  serviceAccountDir?: string
  load?: FileLoader
  /** Told when the kubeconfig needs client-node (why), so the log can say so. */
  onFallback?: (why: string) => void
}

export async function loadKubeClient(kubeconfigFile: string | undefined, opts: LoadOptions = {}): Promise<KubeClient> {
  return new KubeClient(await loadConnection(kubeconfigFile, opts))
}

export async function loadConnection(kubeconfigFile: string | undefined, opts: LoadOptions = {}): Promise<Connection> {
  const load = opts.load ?? ((path: string) => readFileSync(path, 'utf8'))
  if (kubeconfigFile === undefined) return inClusterConnection(opts)
  let text: string
  try {
    text = load(kubeconfigFile)
  } catch (err) {
    throw new Error(`unable to read kubeconfig ${kubeconfigFile}: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  const resolved = resolveKubeconfig(text, kubeconfigFile, load)
  if (resolved.ok) return ownConnection(resolved.access, `kubeconfig ${kubeconfigFile}, context "${resolved.context}"`)
  opts.onFallback?.(resolved.unsupported)
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigFile)
  return clientNodeConnection(kc)
}

function inClusterConnection(opts: LoadOptions): Connection {
  const env = opts.env ?? process.env
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw new Error(`no cluster to talk to: not running in a pod with a service account, and ${opts.setting ?? 'kubeconfig'} is not set (give a kubeconfig file)`)
  }
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR
  const load = opts.load ?? ((path: string) => readFileSync(path, 'utf8'))
  let ca: string
  try {
    ca = load(join(dir, 'ca.crt'))
  } catch (err) {
    throw new Error(`unable to read the service account's CA ${join(dir, 'ca.crt')}: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`)
  return ownConnection({ server, ca, tokenFile: join(dir, 'token') }, "the pod's service account")
}
