import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The adapter's servers serve reads only, so they never parse a request body. Without this, fastify parses a JSON
 * body before it routes, and a malformed one sent to an unknown path answered 400 instead of 404 (or to /livez,
 * where no route takes a POST).
 */
export const ignoreBodies = fp(
  (app: FastifyInstance, _opts: object, done: (err?: Error) => void): void => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_req, _payload, next) => { next(null, undefined) })
    // Node would read an unread body to its end to keep the connection, for as long as the client sends: a
    // request that carries one gets its answer and the connection is closed instead.
    app.addHook('onSend', async (req, reply) => {
      const length = Number(req.headers['content-length'] ?? 0)
      if (length > 0 || req.headers['transfer-encoding'] !== undefined) void reply.header('connection', 'close')
    })
    done()
  },
  { name: 'foresight-ignore-bodies', fastify: '5.x' },
)
