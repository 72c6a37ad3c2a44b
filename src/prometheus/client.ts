/**
 * One query_range call against one Prometheus, through prometheus-query's PrometheusDriver. Each call is a single
 * attempt with a hard deadline; retries, the concurrency limit and the circuit breaker live in resilient.ts.
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { readFileSync } from 'node:fs'
import { PrometheusDriver, type PrometheusConnectionOptions } from 'prometheus-query'
import {
  OversizedAnswerError,
  PrometheusAnswerError,
  PrometheusError,
  PrometheusQueryError,
  PrometheusTimeoutError,
  PrometheusUnavailableError,
  redactEndpoint,
} from './errors.js'
import { parseRangeAnswer, type AnswerLimits, type RawSeries } from './parse.js'

/** What the library is handed once the real answer has been taken. */
const EMPTY_MATRIX = Object.freeze({ status: 'success', data: Object.freeze({ resultType: 'matrix', result: Object.freeze([]) }) })

export interface PrometheusClientOptions {
  /**
   * Base URL, e.g. http://prometheus.monitoring:9090. A path prefix such as /prometheus is kept; query parameters
   * are sent with every query.
   */
  url: string
  /** Sent as `Authorization: Bearer`; a function is called per request so a rotated token file is picked up. */
  bearerToken?: string | (() => string)
  /** The password may be a function: it is then called per request (a rotated secret file needs no restart). */
  basicAuth?: { username: string; password: string | (() => string) }
  /** PEM CA bundle for an https endpoint (text), or a file to read it from once. */
  ca?: string
  caFile?: string
  insecureSkipVerify?: boolean
  /**
   * Extra headers, e.g. a tenant header for a multi-tenant Prometheus-compatible store. A function is called per
   * request, so a value read from a rotated secret file needs no restart.
   */
  headers?: Readonly<Record<string, string | (() => string)>>
  /** Default deadline of one request (default 10 s). */
  timeoutMs?: number
  /** Largest answer body accepted (default 64 MiB). */
  maxResponseBytes?: number
  limits?: Partial<AnswerLimits>
}

export interface QueryRange {
  startMs: number
  endMs: number
  stepSeconds: number
}

export interface QueryOptions {
  timeoutMs?: number
  limits?: Partial<AnswerLimits>
}

export interface PrometheusClient {
  /** The endpoint without credentials, for logs and messages. */
  readonly endpoint: string
  queryRange(query: string, range: QueryRange, opts?: QueryOptions): Promise<RawSeries[]>
  /** Frees the kept-alive connections. */
  close(): void
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_LIMITS: AnswerLimits = { maxSeries: 2000, maxPoints: 2_000_000 }
const MAX_MESSAGE_CHARS = 500

type RequestConfig = Parameters<NonNullable<PrometheusConnectionOptions['requestInterceptor']>['onFulfilled']>[0]

export function createPrometheusClient(opts: PrometheusClientOptions): PrometheusClient {
  const base = new URL(opts.url)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`unable to use Prometheus URL ${redactEndpoint(opts.url)}: only http and https are supported`)
  // Credentials in the URL would end up in axios error objects; take them out and send them as basic auth.
  const urlAuth = base.username !== '' ? { username: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } : undefined
  base.username = ''
  base.password = ''
  // Query parameters of the URL go with every query (Thanos's partial_response=false, VictoriaMetrics's
  // extra_label); the library appends /api/v1/... to the endpoint, so they cannot stay in it.
  const urlParams = [...base.searchParams]
  base.search = ''
  base.hash = ''
  const endpoint = redactEndpoint(base.toString())
  const basicAuth = opts.basicAuth ?? urlAuth
  const ca = opts.ca ?? (opts.caFile !== undefined ? readFileSync(opts.caFile, 'utf8') : undefined)
  const httpAgent = new HttpAgent({ keepAlive: true })
  const httpsAgent = new HttpsAgent({ keepAlive: true, ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: opts.insecureSkipVerify !== true })
  const defaultTimeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxResponseBytes = opts.maxResponseBytes ?? 64 * 1024 * 1024
  const defaultLimits = { ...DEFAULT_LIMITS, ...opts.limits }

  const queryRange = async (query: string, range: QueryRange, q: QueryOptions = {}): Promise<RawSeries[]> => {
    const timeoutMs = q.timeoutMs ?? defaultTimeoutMs
    const limits = { ...defaultLimits, ...q.limits }
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name] = typeof value === 'function' ? value() : value
    const token = typeof opts.bearerToken === 'function' ? opts.bearerToken() : opts.bearerToken
    if (token !== undefined && token !== '') headers.Authorization = `Bearer ${token}`
    const auth = basicAuth === undefined ? undefined : { username: basicAuth.username, password: typeof basicAuth.password === 'function' ? basicAuth.password() : basicAuth.password }
    const abort = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      abort.abort()
    }, timeoutMs)
    let httpStatus: number | undefined
    let answer: RawSeries[] | undefined
    // A driver per call: its interceptors are the only per-request hook the library has (deadline, agents, size cap).
    const driver = new PrometheusDriver({
      endpoint: base.toString().replace(/\/$/, ''),
      baseURL: '/api/v1/',
      headers,
      ...(auth !== undefined ? { auth } : {}),
      timeout: timeoutMs,
      // POST keeps long grouped queries out of URL length limits.
      preferPost: true,
      requestInterceptor: {
        onFulfilled: (cfg: RequestConfig): RequestConfig => {
          if (urlParams.length > 0) {
            const params = new URLSearchParams(cfg.params instanceof URLSearchParams ? cfg.params : undefined)
            for (const [k, v] of urlParams) params.append(k, v)
            cfg.params = params
          }
          cfg.signal = abort.signal
          cfg.httpAgent = httpAgent
          cfg.httpsAgent = httpsAgent
          cfg.maxContentLength = maxResponseBytes
          cfg.maxRedirects = 0
          return cfg
        },
      },
      responseInterceptor: {
        onFulfilled: (res) => {
          httpStatus = res.status
          answer = parseRangeAnswer(res.data, limits)
          // The answer is converted above; the library would convert it again into an object with a Date per
          // sample, which is discarded, and that garbage was most of the adapter's peak memory (bench:engine).
          res.data = EMPTY_MATRIX
          return res
        },
        onRejected: (err: unknown) => {
          const status = (err as { response?: { status?: unknown } } | undefined)?.response?.status
          if (typeof status === 'number') httpStatus = status
          throw err
        },
      },
    })
    try {
      // Prometheus stops evaluating at its own timeout too, so an abandoned query does not keep it busy.
      // Dates, not numbers: the library treats a 0 ms timestamp as "not given".
      await driver.rangeQuery(query, new Date(range.startMs), new Date(range.endMs), range.stepSeconds, `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`)
      if (answer === undefined) throw new PrometheusAnswerError('the answer was not checked')
      return answer
    } catch (err) {
      throw classifyFailure(err, { endpoint, timedOut, timeoutMs, httpStatus })
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    endpoint,
    queryRange,
    close() {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

interface FailureContext {
  endpoint: string
  timedOut: boolean
  timeoutMs: number
  httpStatus: number | undefined
}

/** Maps what prometheus-query throws (plain objects, not Errors) to a typed PrometheusError. */
export function classifyFailure(err: unknown, ctx: FailureContext): PrometheusError {
  if (err instanceof PrometheusError) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as { errorType?: unknown; error?: unknown; code?: unknown; original?: unknown; data?: unknown; prometheus?: { errorType?: unknown } }
  if (e.original instanceof PrometheusError) return e.original
  if (ctx.timedOut) return new PrometheusTimeoutError(ctx.endpoint, ctx.timeoutMs)
  // The library reports transport and HTTP failures as plain objects; a real Error is a failure on our side.
  if (err instanceof Error) return new PrometheusError('invalid-answer', `unable to query Prometheus: ${clip(err.message)}`, false)
  // A gateway in front of the store (Mimir's, vmauth, an ingress) answers in plain text, not Prometheus's JSON; its
  // first line says what was missing ("no org id", "missing route"), which the library's own words do not.
  // An HTML error page (an ingress's 502) says nothing in its first line, so it is left out.
  const first = e.errorType === 'client_error' && typeof e.data === 'string' ? e.data.trim().split('\n')[0] ?? '' : ''
  const plain = first.startsWith('<') ? '' : first
  const detail = clip(plain !== '' ? plain : typeof e.error === 'string' ? e.error : 'unknown failure')
  const status = ctx.httpStatus
  if (e.code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(detail)) return new OversizedAnswerError(`the answer from ${ctx.endpoint} is larger than the limit (${detail})`)
  if (status !== undefined && status >= 300) {
    if (status === 429 || status >= 500) return new PrometheusUnavailableError(`${ctx.endpoint} answered HTTP ${status}: ${detail}`, status)
    const type = typeof e.prometheus?.errorType === 'string' ? ` ${e.prometheus.errorType}` : ''
    if (status === 401 || status === 403) return new PrometheusQueryError(`${ctx.endpoint} refused the credentials (HTTP ${status}${plain !== '' ? `: ${clip(plain)}` : ''})`, status)
    return new PrometheusQueryError(`${ctx.endpoint} rejected the query (HTTP ${status}${type}): ${detail}`, status)
  }
  if (e.errorType === 'timeout_error') return new PrometheusTimeoutError(ctx.endpoint, ctx.timeoutMs)
  if (e.errorType === 'ssl_error' || (typeof e.code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code))) {
    // A certificate problem is configuration: retrying cannot fix it.
    return new PrometheusError('unavailable', `unable to query Prometheus: TLS failure talking to ${ctx.endpoint}: ${detail}`, false)
  }
  return new PrometheusUnavailableError(`${ctx.endpoint} is unreachable: ${detail}${typeof e.code === 'string' && !detail.includes(e.code) ? ` (${e.code})` : ''}`)
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) + '...' : text
}
