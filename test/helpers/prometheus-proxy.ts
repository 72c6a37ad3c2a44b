/**
 * A loopback HTTP proxy in front of a test Prometheus that counts the requests it sees and can inject failures
 * (an HTTP status for the next N requests). Upstream connection failures are answered 502, as a real proxy would.
 */
import { once } from 'node:events'
import { createServer, request, type IncomingMessage } from 'node:http'

export interface SeenRequest {
  method: string
  path: string
  /** The PromQL query, from the URL or the form body. */
  query: string | undefined
}

export interface CountingProxy {
  url: string
  seen: SeenRequest[]
  /** Requests to /api/v1/query_range so far. */
  rangeQueries(): number
  /** Answer the next `count` requests with `status` instead of forwarding them. */
  failNext(count: number, status: number): void
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl)
  const seen: SeenRequest[] = []
  let failing = { count: 0, status: 503 }
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const url = new URL(req.url ?? '/', 'http://proxy')
      const form = new URLSearchParams(req.headers['content-type']?.includes('form') === true ? body.toString('utf8') : '')
      seen.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams.get('query') ?? form.get('query') ?? undefined })
      if (failing.count > 0) {
        failing.count--
        res.writeHead(failing.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: `injected ${failing.status}` }))
        return
      }
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          upRes.pipe(res)
        },
      )
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/html' })
        res.end(`<html>bad gateway: ${err.message}</html>`)
      })
      up.end(body)
    })()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('unable to start the counting proxy')
  return {
    url: `http://127.0.0.1:${addr.port}`,
    seen,
    rangeQueries: () => seen.filter((s) => s.path === '/api/v1/query_range').length,
    failNext(count, status) {
      failing = { count, status }
    },
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
