import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'

// A GET of any API path with the credentials of a kubeconfig context, as `kubectl get --raw` does. client-node's
// generated clients know no aggregated API such as external.metrics.k8s.io, and their errors drop the Status body
// a user needs to see (why a request was forbidden, why a service is unavailable).

export interface RawResponse { status: number; body: string }

/** The most a response may carry: a metric list for one policy is a few kB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

export class KubeConnectionError extends Error {
  override name = 'KubeConnectionError'
}

export async function rawGet(kc: KubeConfig, path: string, timeoutMs: number): Promise<RawResponse> {
  const server = kc.getCurrentCluster()?.server
  if (server === undefined || !URL.canParse(server)) throw new KubeConnectionError(`the kubeconfig context "${kc.getCurrentContext()}" names no cluster server`)
  // A server URL with a path prefix (behind a proxy) keeps it: the API path goes beneath it.
  const url = new URL(`${server.replace(/\/$/, '')}${path}`)
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } }
  try {
    await kc.applyToHTTPSOptions(opts)
  } catch (err) {
    // Credentials that cannot be loaded (a missing certificate file, a failing exec plugin) or a refused setting.
    throw new KubeConnectionError(`unable to use the kubeconfig context "${kc.getCurrentContext()}": ${(err as Error).message}`, { cause: err })
  }
  return new Promise((resolve, reject) => {
    // kubectl also talks plain HTTP to a server URL that says so (a local apiserver's insecure port, a proxy).
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest
    const req = request(url, { ...opts, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BODY_BYTES) req.destroy(new KubeConnectionError(`${url.host}: response beyond ${MAX_BODY_BYTES} bytes`))
        else chunks.push(c)
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', (err) => {
      const why = err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.message
      reject(new KubeConnectionError(`unable to reach the cluster at ${server}: ${why}`, { cause: err }))
    })
    req.end()
  })
}
