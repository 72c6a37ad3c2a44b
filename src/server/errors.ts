import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import createError from '@fastify/error'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

// The error catalogue: every failure the API can answer with, its code and HTTP status. Messages are written for
// the caller; anything unexpected becomes a generic InternalError and is logged, never echoed.
export const ERR_BAD_REQUEST = createError('FORESIGHT_BAD_REQUEST', '%s', 400)
export const ERR_UNAUTHORIZED = createError('FORESIGHT_UNAUTHORIZED', 'Unauthorized', 401)
export const ERR_FORBIDDEN = createError('FORESIGHT_FORBIDDEN', '%s', 403)
export const ERR_NOT_FOUND = createError('FORESIGHT_NOT_FOUND', '%s', 404)
export const ERR_METHOD_NOT_ALLOWED = createError('FORESIGHT_METHOD_NOT_ALLOWED', 'the server does not allow this method on the requested resource', 405)
export const ERR_UNAVAILABLE = createError('FORESIGHT_UNAVAILABLE', '%s', 503)
export const ERR_INTERNAL = createError('FORESIGHT_INTERNAL', 'Internal error occurred: %s', 500)

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  408: 'RequestTimeout', 429: 'TooManyRequests', 431: 'RequestHeaderFieldsTooLarge', 500: 'InternalError',
  503: 'ServiceUnavailable', 504: 'Timeout',
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  code: number
}

/** metav1.Status for an HTTP status code; unknown codes fold into InternalError. */
export function statusBody(code: number, message: string): Status {
  const reason = REASONS[code]
  if (reason === undefined) return statusBody(500, 'Internal error occurred: unexpected failure')
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

function isCatalogued(err: FastifyError): boolean {
  return err.code?.startsWith('FORESIGHT_') === true
}

/**
 * Errors from our catalogue keep their message. Fastify's own client errors (bad content type, body too large)
 * keep their status with a generic message. Everything else is a 500 whose details stay in the log.
 */
export function toStatus(err: FastifyError): Status {
  const code = err.statusCode ?? 500
  if (isCatalogued(err)) return statusBody(code, err.message)
  if (code >= 400 && code < 500 && REASONS[code] !== undefined) return statusBody(code, `the request was rejected: ${REASONS[code] ?? 'BadRequest'}`)
  return statusBody(500, 'Internal error occurred: the request could not be served')
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode, or a path segment beyond the router's limit, is refused
 * before routing (so before the authentication hook) with a 400 Status that echoes nothing of the request.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a path segment is longer than ${MAX_PATH_SEGMENT_LENGTH} characters` : 'the request path is not a valid URL'
  void reply.code(400).type('application/json').send(statusBody(400, message))
}

/** Longest path segment the router accepts: a metric name may be a DNS subdomain (253). */
export const MAX_PATH_SEGMENT_LENGTH = 253

/** Connections being closed after a parse error: Node keeps feeding their parser, and each error comes back here. */
const closing = new WeakSet<Duplex>()
/** A connection closing after a parse error is cut off after this, whatever is still in flight or unread. */
const CLOSE_GRACE_MS = 30_000

type ServingSocket = Duplex & { _httpMessage?: (NodeJS.EventEmitter & { writableEnded?: boolean }) | null }

/** Calls `then` once the responses already in flight on `socket` (pipelined requests parsed before) are sent. */
function afterInFlight(socket: ServingSocket, then: () => void): void {
  // Node hands the socket to the next queued response before the finished one emits close.
  const current = socket._httpMessage
  if (current === undefined || current === null) {
    then()
    return
  }
  current.once('close', () => afterInFlight(socket, then))
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses before any route (headers beyond the
 * limit, malformed HTTP, too slow) gets a Status body like every other error, not Fastify's own JSON. Requests
 * pipelined before it are answered first, in order, and the connection is then closed: also when Node's parser
 * gives up on a long pipeline (HPE_PAUSED), where what was not parsed is left for the client to send again.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || closing.has(socket)) return
  const [code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'the request headers exceed the server\'s limit']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request was not received in time'] : [400, 'the request is not valid HTTP']
  const body = JSON.stringify(statusBody(code, message))
  const answer = (): void => {
    if (socket.writable) socket.write(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`)
  }
  const inFlight = (socket as ServingSocket)._httpMessage
  if (inFlight === undefined || inFlight === null) {
    answer()
    socket.destroy(err)
    return
  }
  // Writing now would land inside the response in flight, and destroying the socket would drop it and those
  // queued behind it: they are sent first, then the answer to this one (a pipeline Node gave up on is no
  // client's fault: nothing), then the connection is half-closed, so that what the client still sends is read
  // (a close with unread data is a reset, which can make the client drop the answers it was sent).
  closing.add(socket)
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref()
  afterInFlight(socket, () => {
    if (err.code !== 'HPE_PAUSED') answer()
    socket.end()
  })
}

/** Every method but the reads this API serves (GET, and HEAD which Fastify adds): 405 on the paths given below. */
const NOT_SERVED_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/**
 * 405 routes for `urls`: the authentication hook authorizes them first (as kube-apiserver does), then refuses
 * them (`methodNotAllowed`).
 */
export function methodNotAllowedRoutes(app: FastifyInstance, urls: readonly string[], config: Record<string, unknown> = {}): void {
  for (const url of urls) {
    app.route({ method: [...NOT_SERVED_METHODS], url, config: { ...config, methodNotAllowed: true }, handler: (): never => { throw new ERR_METHOD_NOT_ALLOWED() } })
  }
}

export const statusErrors = fp(
  (app: FastifyInstance, _opts: object, done: (err?: Error) => void): void => {
    app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const body = toStatus(err)
      // A 503 is an expected state (first refresh, a policy still without data, a source outage the engine already
      // logs): an HPA polls it every 15 s, so it is not an error with a stack each time.
      // RFC 9110: a 405 says what the resource does allow; this API serves reads only.
      if (body.code === 405) void reply.header('allow', 'GET, HEAD')
      if (body.code === 503) req.log.debug({ code: 503, reason: err.message }, 'not ready')
      else if (body.code >= 500) req.log.error({ err }, 'request failed')
      void reply.code(body.code).type('application/json').send(body)
    })
    app.setNotFoundHandler((_req: FastifyRequest, reply: FastifyReply) => {
      void reply.code(404).type('application/json').send(statusBody(404, 'the server could not find the requested resource'))
    })
    done()
  },
  { name: 'foresight-status-errors', fastify: '5.x' },
)
