import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The adapter's servers serve reads only, so they never parse a request body. Without this, fastify parses a JSON
 * body before it routes, and a malformed one sent to an unknown path answered 400 instead of 404 (or to /livez,
 * where no route takes a POST). Node discards the unread body once the answer is sent.
 */
export const ignoreBodies = fp(
  (app: FastifyInstance, _opts: object, done: (err?: Error) => void): void => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_req, _payload, next) => { next(null, undefined) })
    done()
  },
  { name: 'foresight-ignore-bodies', fastify: '5.x' },
)
