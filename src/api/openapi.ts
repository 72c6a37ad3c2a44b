import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { methodNotAllowedRoutes } from '../server/errors.js'
import { API_PREFIX, externalMetricValueListSchema, externalMetricValueSchema, GROUP_VERSION, statusSchema } from './types.js'

const DEF = {
  list: 'io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValueList',
  value: 'io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValue',
  status: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
}

function definitions(target: 'draft-7' | 'openapi-3.0', refPrefix: string): Record<string, unknown> {
  const registry = z.registry<{ id: string }>()
  registry.add(externalMetricValueListSchema, { id: DEF.list })
  registry.add(externalMetricValueSchema, { id: DEF.value })
  registry.add(statusSchema, { id: DEF.status })
  const { schemas } = z.toJSONSchema(registry, { target, uri: (id: string) => `${refPrefix}${id}`, unrepresentable: 'any' })
  for (const schema of Object.values(schemas)) {
    delete (schema as Record<string, unknown>).$schema
    delete (schema as Record<string, unknown>).$id
  }
  return schemas
}

const pathParams = [
  { name: 'namespace', in: 'path', required: true, type: 'string', description: 'object name and auth scope, such as for teams and projects' },
  { name: 'metric', in: 'path', required: true, type: 'string', description: 'name of the external metric' },
  { name: 'labelSelector', in: 'query', required: false, type: 'string', description: 'a Kubernetes label selector restricting the series returned' },
]

function openapiV2(): object {
  const ref = (d: string): object => ({ $ref: `#/definitions/${d}` })
  return {
    swagger: '2.0',
    info: { title: 'Foresight external metrics', version: GROUP_VERSION },
    paths: {
      [`${API_PREFIX}/namespaces/{namespace}/{metric}`]: {
        get: {
          operationId: 'getExternalMetricValues',
          produces: ['application/json'],
          schemes: ['https'],
          parameters: pathParams,
          responses: { 200: { description: 'OK', schema: ref(DEF.list) }, default: { description: 'failure', schema: ref(DEF.status) } },
        },
      },
    },
    definitions: definitions('draft-7', '#/definitions/'),
  }
}

function openapiV3(): object {
  const ref = (d: string): object => ({ $ref: `#/components/schemas/${d}` })
  const content = (d: string): object => ({ 'application/json': { schema: ref(d) } })
  return {
    openapi: '3.0.0',
    info: { title: 'Foresight external metrics', version: GROUP_VERSION },
    paths: {
      [`${API_PREFIX}/namespaces/{namespace}/{metric}`]: {
        get: {
          operationId: 'getExternalMetricValues',
          parameters: pathParams.map(({ type, ...p }) => ({ ...p, schema: { type } })),
          responses: { 200: { description: 'OK', content: content(DEF.list) }, default: { description: 'failure', content: content(DEF.status) } },
        },
      },
    },
    components: { schemas: definitions('openapi-3.0', '#/components/schemas/') },
  }
}

export function openapiRoutes(app: FastifyInstance, _opts: object, done: (err?: Error) => void): void {
  const v2 = openapiV2()
  const v3 = openapiV3()
  const v3Hash = createHash('sha512').update(JSON.stringify(v3)).digest('hex').slice(0, 32).toUpperCase()
  const v3Path = `apis/${GROUP_VERSION}`
  app.get('/openapi/v2', async () => v2)
  app.get('/openapi/v3', async () => ({ paths: { [v3Path]: { serverRelativeURL: `/openapi/v3/${v3Path}?hash=${v3Hash}` } } }))
  app.get(`/openapi/v3/${v3Path}`, async () => v3)
  methodNotAllowedRoutes(app, ['/openapi/v2', '/openapi/v3', `/openapi/v3/${v3Path}`])
  done()
}
