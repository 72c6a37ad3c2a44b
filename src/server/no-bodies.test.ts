import Fastify from 'fastify'
import t from 'tap'
import { methodNotAllowedRoutes, statusErrors } from './errors.js'
import { ignoreBodies } from './no-bodies.js'

const app = Fastify()
await app.register(statusErrors)
await app.register(ignoreBodies)
app.get('/apis', async () => ({ ok: true }))
methodNotAllowedRoutes(app, ['/apis'])
t.teardown(() => app.close())

t.test('a body never decides the status: unknown paths 404, read-only paths 405', async (t) => {
  const cases: Array<{ name: string; url: string; method: 'POST' | 'PUT'; headers: Record<string, string>; payload: string; code: number }> = [
    { name: 'malformed JSON, unknown path', url: '/nope', method: 'POST', headers: { 'content-type': 'application/json' }, payload: '{bad', code: 404 },
    { name: 'malformed JSON, read-only path', url: '/apis', method: 'POST', headers: { 'content-type': 'application/json' }, payload: '{bad', code: 405 },
    { name: 'unknown media type, unknown path', url: '/nope', method: 'PUT', headers: { 'content-type': 'application/x-whatever' }, payload: 'x', code: 404 },
    { name: 'no content type, read-only path', url: '/apis', method: 'POST', headers: {}, payload: 'x', code: 405 },
    { name: 'a large body, unknown path', url: '/nope', method: 'POST', headers: { 'content-type': 'application/json' }, payload: '['.repeat(2 * 1024 * 1024), code: 404 },
  ]
  for (const c of cases) {
    const res = await app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.payload })
    t.equal(res.statusCode, c.code, c.name)
    t.match(res.json(), { kind: 'Status', code: c.code }, `${c.name}: a Status body`)
    t.equal(res.headers.connection, 'close', `${c.name}: the connection is not kept to drain the body`)
  }
  const read = await app.inject({ method: 'GET', url: '/apis' })
  t.equal(read.statusCode, 200, 'reads still answer')
  t.not(read.headers.connection, 'close', 'and keep their connection')
  // fastify refuses a Content-Type it cannot parse as a media type before it routes.
  const garbled = await app.inject({ method: 'POST', url: '/nope', headers: { 'content-type': ';;' }, payload: 'x' })
  t.equal(garbled.statusCode, 415, 'a malformed Content-Type header: 415')
})
