import { dirname, isAbsolute, join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

// The part of a kubeconfig the adapter's own Kubernetes client understands: the current context's server, its
// CA, and a client certificate or a bearer token. Anything else a user may rely on (exec and auth-provider
// plugins, basic auth, impersonation, proxies) is reported as unsupported, and the caller hands the whole file
// to @kubernetes/client-node instead, so no kubeconfig that worked before stops working.

// kubectl's own format: keys this client does not use are allowed (a kubeconfig is not the project's config).
const clusterSchema = z.looseObject({
  server: z.string(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': z.string().optional(),
  'proxy-url': z.string().optional(),
})

const userSchema = z.looseObject({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-certificate-data': z.string().optional(),
  'client-key': z.string().optional(),
  'client-key-data': z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  exec: z.unknown().optional(),
  'auth-provider': z.unknown().optional(),
  as: z.string().optional(),
  'as-uid': z.string().optional(),
  'as-groups': z.array(z.string()).nullish(),
  'as-user-extra': z.unknown().optional(),
})

const kubeconfigSchema = z.looseObject({
  'current-context': z.string().optional(),
  clusters: z.array(z.looseObject({ name: z.string(), cluster: clusterSchema })).nullish(),
  users: z.array(z.looseObject({ name: z.string(), user: userSchema.nullish() })).nullish(),
  contexts: z.array(z.looseObject({ name: z.string(), context: z.looseObject({ cluster: z.string(), user: z.string().optional() }) })).nullish(),
})

/** How to reach one apiserver and who to be there: everything the own client needs. */
export interface ClusterAccess {
  server: URL
  /** PEM; the system's CAs when unset. */
  ca?: string
  insecureSkipTLSVerify?: boolean
  /** SNI and certificate name to expect, when it differs from the server URL's host. */
  tlsServerName?: string
  clientCert?: string
  clientKey?: string
  /** A bearer token fixed in the kubeconfig. */
  token?: string
  /** A file holding the bearer token, re-read as it rotates. */
  tokenFile?: string
}

export type Resolved = { ok: true; access: ClusterAccess; context: string } | { ok: false; unsupported: string }

export class KubeconfigError extends Error {
  override name = 'KubeconfigError'
}

/** Reads a file a kubeconfig names (a CA, a certificate, a key); tests bring fixtures. */
export type FileLoader = (path: string) => string

/**
 * The current context of a kubeconfig's text. Throws KubeconfigError for a file that is no kubeconfig or names
 * a context, cluster or user it does not define; returns `unsupported` for credentials only client-node knows.
 */
export function resolveKubeconfig(text: string, file: string, load: FileLoader): Resolved {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new KubeconfigError(`unable to parse kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`)
  }
  const parsed = kubeconfigSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new KubeconfigError(`unable to read kubeconfig ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
  }
  const cfg = parsed.data
  const contextName = cfg['current-context']
  if (contextName === undefined || contextName === '') throw new KubeconfigError(`unable to read kubeconfig ${file}: no current-context`)
  const context = cfg.contexts?.find((c) => c.name === contextName)?.context
  if (context === undefined) throw new KubeconfigError(`unable to read kubeconfig ${file}: context "${contextName}" is not defined`)
  const cluster = cfg.clusters?.find((c) => c.name === context.cluster)?.cluster
  if (cluster === undefined) throw new KubeconfigError(`unable to read kubeconfig ${file}: cluster "${context.cluster}" of context "${contextName}" is not defined`)
  const user = context.user === undefined || context.user === '' ? {} : cfg.users?.find((u) => u.name === context.user)?.user
  if (user === undefined) throw new KubeconfigError(`unable to read kubeconfig ${file}: user "${context.user ?? ''}" of context "${contextName}" is not defined`)
  const creds = user ?? {}

  const unsupported = unsupportedSetting(cluster, creds)
  if (unsupported !== undefined) return { ok: false, unsupported }
  if (!URL.canParse(cluster.server)) throw new KubeconfigError(`unable to read kubeconfig ${file}: cluster "${context.cluster}" has no valid server URL`)

  // kubectl resolves relative file names against the kubeconfig's own directory.
  const base = dirname(file)
  const read = (path: string, what: string): string => {
    const full = isAbsolute(path) ? path : join(base, path)
    try {
      return load(full)
    } catch (err) {
      throw new KubeconfigError(`unable to read the ${what} ${full} named by kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  const pem = (data: string | undefined, path: string | undefined, what: string): string | undefined =>
    data !== undefined && data !== '' ? Buffer.from(data, 'base64').toString('utf8') : path !== undefined && path !== '' ? read(path, what) : undefined

  const access: ClusterAccess = { server: new URL(cluster.server) }
  const ca = pem(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate authority')
  if (ca !== undefined) access.ca = ca
  if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTLSVerify = true
  if (cluster['tls-server-name'] !== undefined && cluster['tls-server-name'] !== '') access.tlsServerName = cluster['tls-server-name']
  const cert = pem(creds['client-certificate-data'], creds['client-certificate'], 'client certificate')
  const key = pem(creds['client-key-data'], creds['client-key'], 'client key')
  if ((cert === undefined) !== (key === undefined)) throw new KubeconfigError(`unable to read kubeconfig ${file}: user "${context.user ?? ''}" has a client certificate without its key, or a key without its certificate`)
  if (cert !== undefined && key !== undefined) {
    access.clientCert = cert
    access.clientKey = key
  }
  if (creds.token !== undefined && creds.token !== '') access.token = creds.token
  else if (creds.tokenFile !== undefined && creds.tokenFile !== '') access.tokenFile = isAbsolute(creds.tokenFile) ? creds.tokenFile : join(base, creds.tokenFile)
  return { ok: true, access, context: contextName }
}

function unsupportedSetting(cluster: z.infer<typeof clusterSchema>, user: z.infer<typeof userSchema>): string | undefined {
  if (user.exec !== undefined && user.exec !== null) return 'an exec credential plugin'
  if (user['auth-provider'] !== undefined && user['auth-provider'] !== null) return 'an auth-provider plugin'
  if (user.username !== undefined || user.password !== undefined) return 'basic authentication'
  if (user.as !== undefined || user['as-uid'] !== undefined || (user['as-groups'] ?? []).length > 0 || user['as-user-extra'] !== undefined) return 'impersonation'
  if (cluster['proxy-url'] !== undefined && cluster['proxy-url'] !== '') return 'a proxy-url'
  return undefined
}
