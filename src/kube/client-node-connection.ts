import type { RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Connection, RequestSettings } from './connection.js'

// A connection whose credentials come from @kubernetes/client-node: for kubeconfigs the own client does not
// understand (exec and auth-provider plugins, proxies, impersonation, basic auth), and for the commands that keep
// client-node for their other calls. Only a type is imported here: the library is loaded by whoever made `kc`.

export function clientNodeConnection(kc: KubeConfig): Connection {
  const server = kc.getCurrentCluster()?.server
  if (server === undefined || !URL.canParse(server)) throw new Error(`the kubeconfig context "${kc.getCurrentContext()}" names no cluster server`)
  return {
    server: new URL(server),
    origin: `kubeconfig context "${kc.getCurrentContext()}"`,
    async settings(): Promise<RequestSettings> {
      // Asked for on every request: a plugin's token expires, and client-node caches and refreshes it.
      const opts: RequestOptions = { headers: {} }
      try {
        await kc.applyToHTTPSOptions(opts)
      } catch (err) {
        throw new Error(`unable to use the kubeconfig context "${kc.getCurrentContext()}": ${(err as Error).message}`, { cause: err })
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v
      if (typeof opts.auth === 'string') headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
      return { ...(opts.agent instanceof Object ? { agent: opts.agent } : {}), headers }
    },
  }
}
