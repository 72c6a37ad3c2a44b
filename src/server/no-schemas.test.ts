import { createRequire } from 'node:module'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t from 'tap'
import { startTelemetryServer } from './https.js'
import Fastify from 'fastify'
import { noSchemaCompilers } from './no-schemas.js'

const require = createRequire(import.meta.url)
/** Whether this process has loaded a package's CommonJS modules (fastify requires its compilers). */
const loaded = (pkg: string): boolean => Object.keys(require.cache).some((k) => k.includes(`/node_modules/${pkg}/`))

t.test('a running server has loaded neither of fastify\'s schema compilers', async (t) => {
  t.notOk(loaded('ajv'), 'not loaded before (else this test could not tell)')
  const server = await startTelemetryServer({ name: 'telemetry', log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, listenSettings: 'test', registry: new Registry(), checks: [] })
  t.teardown(() => server.close())
  t.equal((await fetch(`${server.url}/livez`)).status, 200, 'it serves')
  // (fastify's own error serializer uses a part of fast-json-stringify either way.)
  for (const pkg of ['ajv', '@fastify/ajv-compiler', 'ajv-formats', '@fastify/fast-json-stringify-compiler']) t.notOk(loaded(pkg), `no ${pkg}`)
  // The same app with fastify's defaults loads them: what the check above would see.
  const plain = Fastify()
  t.teardown(() => plain.close())
  t.ok(loaded('ajv'), 'a default fastify instance loads ajv')
})

t.test('a route that declares a schema is refused at start-up, not served unchecked', async (t) => {
  const body = Fastify({ schemaController: noSchemaCompilers })
  body.post('/x', { schema: { body: { type: 'object', required: ['a'] } } }, async () => 'ok')
  await t.rejects(async () => { await body.ready() }, /route POST \/x declares a validation schema, which these servers do not compile/)
  const response = Fastify({ schemaController: noSchemaCompilers })
  response.get('/y', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}))
  await t.rejects(async () => { await response.ready() }, /route GET \/y declares a response schema/)
})
