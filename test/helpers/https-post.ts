import { request } from 'node:https'

export interface PostReply { status: number; text: string; json: () => unknown }

export interface PostOptions {
  ca: string
  headers?: Record<string, string>
  cert?: string
  key?: string
}

/** One HTTPS POST with a body, verifying the server against `ca`; client certificate optional. */
export function post(url: string, body: string, opts: PostOptions): Promise<PostReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...opts.headers },
      ca: opts.ca,
      ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as unknown })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')))
    req.end(body)
  })
}
