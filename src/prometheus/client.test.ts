import t from 'tap'
import { classifyFailure, createPrometheusClient } from './client.js'
import { OversizedAnswerError, PrometheusAnswerError, PrometheusError } from './errors.js'

const ctx = { endpoint: 'http://prom:9090', timedOut: false, timeoutMs: 500, httpStatus: undefined as number | undefined }

t.test('classifyFailure maps what the library throws', async (t) => {
  const answerErr = new PrometheusAnswerError('bad')
  const cases: Array<[string, unknown, Partial<typeof ctx>, string, boolean, RegExp]> = [
    ['refused', { errorType: 'network_error', error: 'connect ECONNREFUSED 127.0.0.1:9', code: 'ECONNREFUSED' }, {}, 'unavailable', true, /unable to query Prometheus: http:\/\/prom:9090 is unreachable: connect ECONNREFUSED/],
    ['reset', { errorType: 'network_error', error: 'socket hang up', code: 'ECONNRESET' }, {}, 'unavailable', true, /socket hang up \(ECONNRESET\)/],
    ['our deadline', { errorType: 'network_error', error: 'canceled', code: 'ERR_CANCELED' }, { timedOut: true }, 'timeout', true, /no answer from http:\/\/prom:9090 within 500 ms/],
    ['axios timeout', { errorType: 'timeout_error', error: 'timeout of 500ms exceeded', code: 'ECONNABORTED' }, {}, 'timeout', true, /within 500 ms/],
    ['bad promql', { errorType: 'http_error', httpStatus: 400, error: 'parse error', prometheus: { errorType: 'bad_data' } }, { httpStatus: 400 }, 'bad-query', false, /rejected the query \(HTTP 400 bad_data\): parse error/],
    ['execution', { errorType: 'http_error', httpStatus: 422, error: 'many-to-many', prometheus: { errorType: 'execution' } }, { httpStatus: 422 }, 'bad-query', false, /HTTP 422 execution/],
    ['unauthorized', { errorType: 'client_error', error: 'unexpected client error' }, { httpStatus: 401 }, 'unauthorized', false, /refused the credentials \(HTTP 401\)/],
    ['overloaded', { errorType: 'http_error', httpStatus: 503, error: 'query timed out', prometheus: {} }, { httpStatus: 503 }, 'unavailable', true, /answered HTTP 503: query timed out/],
    ['rate limited', { errorType: 'client_error', error: 'unexpected client error' }, { httpStatus: 429 }, 'unavailable', true, /HTTP 429/],
    ['proxy html 502', { errorType: 'client_error', error: 'unexpected client error' }, { httpStatus: 502 }, 'unavailable', true, /HTTP 502/],
    ['tls', { errorType: 'network_error', error: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, {}, 'unavailable', false, /TLS failure/],
    ['body too large', { errorType: 'network_error', error: 'maxContentLength size of 10 exceeded', code: 'ERR_BAD_RESPONSE' }, {}, 'oversized', false, /larger than the limit/],
    ['gateway text', { errorType: 'client_error', error: 'unexpected client error', data: 'user x missing route for "/api/v1/query_range"\n' }, { httpStatus: 400 }, 'bad-query', false, /rejected the query \(HTTP 400\): user x missing route for "\/api\/v1\/query_range"$/],
    ['no tenant', { errorType: 'client_error', error: 'unexpected client error', data: 'no org id\n' }, { httpStatus: 401 }, 'unauthorized', false, /refused the credentials \(HTTP 401: no org id\)$/],
    ['html page', { errorType: 'client_error', error: 'unexpected client error', data: '<html><body>502 Bad Gateway</body></html>' }, { httpStatus: 502 }, 'unavailable', true, /answered HTTP 502: unexpected client error$/],
    ['our validation', { errorType: 'network_error', error: 'x', original: answerErr }, { httpStatus: 200 }, 'invalid-answer', false, /bad/],
  ]
  for (const [name, thrown, c, kind, retryable, message] of cases) {
    const e = classifyFailure(thrown, { ...ctx, ...c })
    t.type(e, PrometheusError, name)
    t.equal(e.kind, kind, `${name}: kind`)
    t.equal(e.retryable, retryable, `${name}: retryable`)
    t.match(e.message, message, `${name}: message`)
  }
  t.type(classifyFailure(new OversizedAnswerError('x'), ctx), OversizedAnswerError, 'typed errors pass through')
  t.match(classifyFailure(new TypeError('boom'), ctx), { kind: 'invalid-answer', retryable: false, message: /unable to query Prometheus: boom/ }, 'our own bugs are not retried as outages')
})

t.test('credentials never reach messages', async (t) => {
  const c = createPrometheusClient({ url: 'http://user:s3cret@127.0.0.1:1/prom', bearerToken: 'tok3n', timeoutMs: 2000 })
  t.teardown(() => c.close())
  t.equal(c.endpoint, 'http://127.0.0.1:1/prom')
  const err = await c.queryRange('up', { startMs: 0, endMs: 60_000, stepSeconds: 60 }).catch((e: unknown) => e)
  t.match(err, { kind: 'unavailable', message: /http:\/\/127\.0\.0\.1:1\/prom is unreachable: connect ECONNREFUSED/ }, 'a range starting at 0 ms is sent as such')
  const text = `${String(err)} ${JSON.stringify(err)}`
  t.notMatch(text, /s3cret|tok3n/)
  t.throws(() => createPrometheusClient({ url: 'ftp://x' }), /only http and https/)
})
