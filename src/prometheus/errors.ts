/**
 * Typed failures of the Prometheus access layer. `retryable` says whether asking again may help (the server was
 * unreachable, overloaded or failing); a bad query or a malformed answer fails the same way every time.
 * Messages never carry credentials: they name the endpoint without user info, and no header is ever echoed.
 */
type PrometheusErrorKind =
  | 'unavailable'
  | 'timeout'
  | 'bad-query'
  | 'unauthorized'
  | 'invalid-answer'
  | 'missing-series'
  | 'extra-series'
  | 'oversized'
  | 'circuit-open'

export class PrometheusError extends Error {
  override name = 'PrometheusError'
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly retryable: boolean,
    /** HTTP status of Prometheus's answer, when there was one. */
    readonly httpStatus?: number,
  ) {
    super(message)
  }
}

/** Network failures, 5xx and 429: Prometheus (or the path to it) is not answering well right now. */
export class PrometheusUnavailableError extends PrometheusError {
  override name = 'PrometheusUnavailableError'
  constructor(message: string, httpStatus?: number) {
    super('unavailable', `unable to query Prometheus: ${message}`, true, httpStatus)
  }
}

export class PrometheusTimeoutError extends PrometheusError {
  override name = 'PrometheusTimeoutError'
  constructor(endpoint: string, timeoutMs: number) {
    super('timeout', `unable to query Prometheus: no answer from ${endpoint} within ${timeoutMs} ms`, true)
  }
}

/** 4xx for the query itself (bad PromQL, execution errors): retrying would fail again. */
export class PrometheusQueryError extends PrometheusError {
  override name = 'PrometheusQueryError'
  constructor(message: string, httpStatus?: number) {
    super(httpStatus === 401 || httpStatus === 403 ? 'unauthorized' : 'bad-query', `unable to query Prometheus: ${message}`, false, httpStatus)
  }
}

export class PrometheusAnswerError extends PrometheusError {
  override name = 'PrometheusAnswerError'
  constructor(message: string) {
    super('invalid-answer', `unable to use Prometheus's answer: ${message}`, false)
  }
}

export class MissingSeriesError extends PrometheusError {
  override name = 'MissingSeriesError'
  constructor(query: string) {
    super('missing-series', `unable to use Prometheus's answer: no series for ${quoteQuery(query)} (the query must return one series)`, false)
  }
}

export class ExtraSeriesError extends PrometheusError {
  override name = 'ExtraSeriesError'
  constructor(
    query: string,
    readonly seriesLabels: ReadonlyArray<Readonly<Record<string, string>>>,
  ) {
    const shown = seriesLabels.slice(0, 5).map(formatLabels).join(', ')
    const more = seriesLabels.length > 5 ? ` and ${seriesLabels.length - 5} more` : ''
    super(
      'extra-series',
      `unable to use Prometheus's answer: ${quoteQuery(query)} returned ${seriesLabels.length} series where one is expected: ${shown}${more}; aggregate it (for example sum(...)) so it returns one series`,
      false,
    )
  }
}

export class OversizedAnswerError extends PrometheusError {
  override name = 'OversizedAnswerError'
  constructor(message: string) {
    super('oversized', `unable to use Prometheus's answer: ${message}`, false)
  }
}

export class CircuitOpenError extends PrometheusError {
  override name = 'CircuitOpenError'
  constructor(endpoint: string, retryInMs: number, lastFailure?: string) {
    const why = lastFailure !== undefined ? ` (last: ${lastFailure})` : ''
    super('circuit-open', `unable to query Prometheus: ${endpoint} failed repeatedly${why}; not asking again for ${Math.max(0, Math.ceil(retryInMs))} ms`, false)
  }
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return '{' + Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') + '}'
}

function quoteQuery(query: string): string {
  return JSON.stringify(query.length > 200 ? query.slice(0, 200) + '...' : query)
}

/** The endpoint as it may appear in logs and messages: no user info, no query string. */
export function redactEndpoint(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`
  } catch {
    return '<invalid Prometheus URL>'
  }
}
