import { Writable } from 'node:stream'
import createError from '@fastify/error'
import Fastify, { type FastifyError } from 'fastify'
import { pino } from 'pino'
import t from 'tap'
import { ERR_BAD_REQUEST, ERR_FORBIDDEN, ERR_INTERNAL, ERR_METHOD_NOT_ALLOWED, ERR_NOT_FOUND, ERR_UNAUTHORIZED, ERR_UNAVAILABLE, statusBody, statusErrors, toStatus } from './errors.js'

const table: Array<[string, FastifyError, number, string, string | RegExp]> = [
  ['bad request', new ERR_BAD_REQUEST('invalid label selector "x"'), 400, 'BadRequest', 'invalid label selector "x"'],
  ['unauthorized', new ERR_UNAUTHORIZED(), 401, 'Unauthorized', 'Unauthorized'],
  ['forbidden', new ERR_FORBIDDEN('User "u" cannot get'), 403, 'Forbidden', 'User "u" cannot get'],
  ['not found', new ERR_NOT_FOUND('no such metric'), 404, 'NotFound', 'no such metric'],
  ['method', new ERR_METHOD_NOT_ALLOWED(), 405, 'MethodNotAllowed', /does not allow this method/],
  ['unavailable', new ERR_UNAVAILABLE('not ready'), 503, 'ServiceUnavailable', 'not ready'],
  ['internal', new ERR_INTERNAL('review down'), 500, 'InternalError', 'Internal error occurred: review down'],
  // Errors that are not ours never show their message: it may hold internals.
  ['foreign 4xx', createError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported Media Type: text/secret', 415)(), 415, 'UnsupportedMediaType', 'the request was rejected: UnsupportedMediaType'],
  ['foreign 500', Object.assign(new Error('ECONNREFUSED 10.0.0.1:443 /etc/secret'), { statusCode: 500 }) as FastifyError, 500, 'InternalError', 'Internal error occurred: the request could not be served'],
  ['plain error', new Error('TypeError: x is undefined') as FastifyError, 500, 'InternalError', 'Internal error occurred: the request could not be served'],
  ['odd status', Object.assign(new Error('teapot'), { statusCode: 418 }) as FastifyError, 500, 'InternalError', /Internal error occurred/],
]

for (const [name, err, code, reason, message] of table) {
  t.test(name, async (t) => {
    const s = toStatus(err)
    t.match(s, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason })
    t.match(s.message, message)
  })
}

t.test('statusBody folds unknown codes into InternalError', async (t) => {
  t.equal(statusBody(599, 'x').code, 500)
  t.equal(statusBody(404, 'gone').reason, 'NotFound')
})

t.test('a 503 is logged at debug without a stack; a 500 at error with it', async (t) => {
  const lines: Array<{ level: number; msg: string; err?: { stack?: string } }> = []
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]); done() } })
  const app = Fastify({ loggerInstance: pino({ level: 'debug' }, sink), disableRequestLogging: true })
  await app.register(statusErrors)
  app.get('/unavailable', async () => { throw new ERR_UNAVAILABLE('no data yet') })
  app.get('/broken', async () => { throw new Error('boom') })
  t.teardown(() => app.close())
  t.equal((await app.inject('/unavailable')).statusCode, 503)
  t.equal((await app.inject('/broken')).statusCode, 500)
  const notReady = lines.find((l) => l.msg === 'not ready')
  t.equal(notReady?.level, 20, 'debug')
  t.equal(notReady?.err, undefined, 'no stack')
  const failed = lines.find((l) => l.msg === 'request failed')
  t.equal(failed?.level, 50, 'error')
  t.match(failed?.err?.stack, /boom/)
})
