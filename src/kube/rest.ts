import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Connection } from './connection.js'
import { KubeApiError } from './errors.js'

// The adapter's own Kubernetes REST client: JSON requests and watch streams over Node's http(s), for the few
// calls the adapter makes. @kubernetes/client-node holds about 75 MiB of a process (docs/benchmarks.md, memory),
// half the adapter's budget with one policy, for a generated client of every API the adapter never calls.

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** API path, e.g. /api/v1/namespaces/x/configmaps/y. */
  path: string
  query?: Readonly<Record<string, string | number | boolean | undefined>>
  body?: unknown
  /** Of the body; JSON unless said (a status write is a merge patch). */
  contentType?: string
  signal?: AbortSignal
  /** What the call does, for its error: "create tokenreviews", "get deployments/scale default/web". */
  what: string
}

/** The most a JSON answer may carry: a list of 10,000 policies is about 10 MB. */
const MAX_BODY_BYTES = 64 * 1024 * 1024

export class KubeClient {
  constructor(readonly connection: Connection, private readonly maxBodyBytes = MAX_BODY_BYTES) {}

  /** One call with a JSON answer; throws KubeApiError with the HTTP status as `code` for any non-2xx. */
  async request<T>(req: KubeRequest): Promise<T> {
    const res = await this.open(req)
    const text = await this.readBody(res, req)
    const code = res.statusCode ?? 0
    if (code < 200 || code > 299) throw apiError(req.what, code, text)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new KubeApiError(`unable to ${req.what}: the apiserver answered HTTP ${code} with no JSON`, code)
    }
  }

  /** A streaming GET (a watch); the caller reads and destroys the response. Non-2xx throws as request() does. */
  async stream(req: Omit<KubeRequest, 'method' | 'body' | 'contentType'>): Promise<IncomingMessage> {
    const res = await this.open({ ...req, method: 'GET' })
    const code = res.statusCode ?? 0
    if (code >= 200 && code <= 299) return res
    throw apiError(req.what, code, await this.readBody(res, req))
  }

  private async open(req: KubeRequest): Promise<IncomingMessage> {
    const { server, origin } = this.connection
    let settings
    try {
      settings = await this.connection.settings()
    } catch (err) {
      throw new KubeApiError(`unable to ${req.what}: ${(err as Error).message}`, 0, { cause: err })
    }
    const url = new URL(`${server.pathname.replace(/\/$/, '')}${req.path}`, server)
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
    const headers: Record<string, string> = { Accept: 'application/json', ...settings.headers }
    if (body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json'
      headers['Content-Length'] = String(body.length)
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    return new Promise((resolve, reject) => {
      const r = send(url, {
        method: req.method,
        headers,
        ...(settings.agent !== undefined ? { agent: settings.agent } : settings.tls ?? {}),
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
      }, resolve)
      r.on('error', (err) => {
        const why = err.name === 'AbortError' || err.name === 'TimeoutError' ? abortReason(req.signal) : err.message
        reject(new KubeApiError(`unable to ${req.what}: ${server.host} (${origin}): ${why}`, 0, { cause: err }))
      })
      r.end(body)
    })
  }

  private readBody(res: IncomingMessage, req: Pick<KubeRequest, 'what'>): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > this.maxBodyBytes) res.destroy(new Error(`answer beyond ${this.maxBodyBytes} bytes`))
        else chunks.push(c)
      })
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      res.on('error', (err) => reject(new KubeApiError(`unable to ${req.what}: ${err.message}`, res.statusCode ?? 0, { cause: err })))
    })
  }
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason = signal?.reason as { name?: unknown } | undefined
  return reason?.name === 'TimeoutError' ? 'no answer in time' : 'aborted'
}

/** The apiserver's Status message when the body is one (why a request was forbidden, what was not found). */
function apiError(what: string, code: number, body: string): KubeApiError {
  let message: string | undefined
  let reason: string | undefined
  try {
    const status = JSON.parse(body) as { message?: unknown; reason?: unknown }
    if (typeof status.message === 'string') message = status.message
    if (typeof status.reason === 'string') reason = status.reason
  } catch {
    // Not a Status: a proxy's page or an empty body; the code says enough.
  }
  const detail = message ?? (body.length > 0 && body.length <= 200 ? body.trim() : undefined)
  return new KubeApiError(`unable to ${what}: HTTP ${code}${detail !== undefined && detail !== '' ? `: ${detail}` : ''}`, code, reason !== undefined ? { reason } : {})
}
