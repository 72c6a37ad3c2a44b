/**
 * A loopback HTTP proxy in front of a test Prometheus that counts the requests it sees and can inject failures
 * (an HTTP status for the next N requests). Upstream connection failures are answered 502, as a real proxy would.
 */
import { once } from 'node:events'
import { createServer, request, type IncomingMessage, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'

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
  /** Most requests the proxy held at once. */
  peakInFlight(): number
  /** Delay added before forwarding each request, to make overlap observable. */
  delayMs: number
  /** Answer the next `count` requests with `status` instead of forwarding them. */
  failNext(count: number, status: number): void
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export interface ProxyOptions {
  /** Serve https with this key pair. */
  tls?: { certPem: string; keyPem: string }
  /** Answer 401 unless the Authorization header is exactly this. */
  authorization?: string
}

export async function startCountingProxy(targetUrl: string, opts: ProxyOptions = {}): Promise<CountingProxy> {
  const target = new URL(targetUrl)
  const seen: SeenRequest[] = []
  let failing = { count: 0, status: 503 }
  let inFlight = 0
  let peak = 0
  const state = { delayMs: 0 }
  const handler: RequestListener = (req, res) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    res.on('close', () => inFlight--)
    void (async () => {
      const body = await readBody(req)
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs))
      const url = new URL(req.url ?? '/', 'http://proxy')
      const form = new URLSearchParams(req.headers['content-type']?.includes('form') === true ? body.toString('utf8') : '')
      seen.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams.get('query') ?? form.get('query') ?? undefined })
      if (opts.authorization !== undefined && req.headers.authorization !== opts.authorization) {
        res.writeHead(401, { 'content-type': 'text/plain' })
        res.end('Unauthorized')
        return
      }
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
  }
  const server = opts.tls !== undefined ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler) : createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('unable to start the counting proxy')
  return {
    url: `${opts.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${addr.port}`,
    seen,
    rangeQueries: () => seen.filter((s) => s.path === '/api/v1/query_range').length,
    peakInFlight: () => peak,
    get delayMs() {
      return state.delayMs
    },
    set delayMs(ms: number) {
      state.delayMs = ms
    },
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
