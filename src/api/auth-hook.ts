import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ReviewUnavailableError, type Attributes, type Authenticator, type Authorizer, type UserInfo } from '../auth/types.js'
import { ERR_FORBIDDEN, ERR_INTERNAL, ERR_METHOD_NOT_ALLOWED, ERR_UNAUTHORIZED } from '../server/errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Health probes: no authentication, as kube-apiserver serves /livez and /readyz. */
    public?: boolean
    /** What the request asks to do, for the SubjectAccessReview; non-resource GET of the path when absent. */
    authz?: (req: FastifyRequest) => Attributes
    /** A verb the route never serves: answered 405 once the caller is authenticated and authorized for it. */
    methodNotAllowed?: boolean
  }
  interface FastifyRequest {
    user?: UserInfo
  }
}

/** kube-apiserver's verb for a collection of a resource (a namespace and a resource, no name). */
const COLLECTION_VERBS: Readonly<Record<string, string>> = { GET: 'list', HEAD: 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'deletecollection' }

export function collectionVerb(method: string): string {
  return COLLECTION_VERBS[method] ?? method.toLowerCase()
}

/** A non-resource path, with kube-apiserver's verb for it: the lowercase HTTP method (HEAD reads as get). */
function defaultAttributes(req: FastifyRequest): Attributes {
  return { kind: 'nonResource', verb: req.method === 'HEAD' ? 'get' : req.method.toLowerCase(), path: req.url.split('?')[0] ?? '/' }
}

function forbiddenMessage(user: UserInfo, attrs: Attributes): string {
  if (attrs.kind === 'nonResource') return `forbidden: User "${user.username}" cannot ${attrs.verb} path "${attrs.path}"`
  return `${attrs.resource}.${attrs.group} is forbidden: User "${user.username}" cannot ${attrs.verb} resource "${attrs.resource}" in API group "${attrs.group}" in the namespace "${attrs.namespace}"`
}

interface AuthHookOptions {
  authenticator: Authenticator
  authorizer: Authorizer
}

/** Every request is authenticated, then authorized, before any handler runs; both fail closed. */
export const authHook = fp(
  (app: FastifyInstance, opts: AuthHookOptions, done: (err?: Error) => void): void => {
    app.decorateRequest('user', undefined)
    app.addHook('onRequest', async (req) => {
      const config = req.routeOptions.config
      if (config.public === true) return
      let attrs: Attributes
      try {
        const authn = await opts.authenticator.authenticate(req.raw)
        if (!authn.ok) {
          req.log.debug({ reason: authn.reason }, 'request not authenticated')
          throw new ERR_UNAUTHORIZED()
        }
        req.user = authn.user
        attrs = (config.authz ?? defaultAttributes)(req)
        const decision = await opts.authorizer.authorize(authn.user, attrs)
        if (!decision.allowed) throw new ERR_FORBIDDEN(forbiddenMessage(authn.user, attrs))
        // As kube-apiserver: who may not do it learns 403; only who may learns that this server does not serve it.
        if (config.methodNotAllowed === true) throw new ERR_METHOD_NOT_ALLOWED()
      } catch (err) {
        if (err instanceof ReviewUnavailableError) {
          req.log.warn({ err: err.message }, 'authentication or authorization review unavailable')
          throw new ERR_INTERNAL('unable to check the request\'s credentials at this time')
        }
        throw err
      }
    })
    done()
  },
  { name: 'foresight-auth', fastify: '5.x' },
)
