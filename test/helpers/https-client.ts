import { Agent, request } from 'node:https'
import type { PeerCertificate, TLSSocket } from 'node:tls'

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => unknown; peer: PeerCertificate }

export interface CallOptions {
  method?: string
  headers?: Record<string, string | string[]>
  /** CA to verify the server with; undefined accepts any certificate (self-signed local mode). */
  ca: string | undefined
  cert?: string
  key?: string
  agent?: Agent
  body?: string
}

/** One HTTPS request with real TLS verification against `ca`; client certificate optional. */
export function call(url: string, opts: CallOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      ...(opts.ca !== undefined ? { ca: opts.ca } : { rejectUnauthorized: false }),
      ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
      ...(opts.agent !== undefined ? { agent: opts.agent } : { agent: false }),
    }, (res) => {
      // Read now: a kept-alive socket goes back to the agent once the body ends.
      const peer = (res.socket as TLSSocket).getPeerCertificate()
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as unknown,
          peer,
        })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')))
    req.end(opts.body)
  })
}
