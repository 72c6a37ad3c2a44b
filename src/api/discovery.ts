import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GROUP, GROUP_VERSION, VERSION } from './types.js'
import { methodNotAllowedRoutes } from '../server/errors.js'
import { METRIC } from '../names.js'

interface DiscoveryOptions { metricNames: readonly string[] }

const AGGREGATED = /application\/json;\s*g=apidiscovery\.k8s\.io;\s*v=(v2|v2beta1);\s*as=APIGroupDiscoveryList/

/** The Accept alternative that asks for aggregated discovery, if any (kube-aggregator asks for it first). */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (accept === undefined) return undefined
  for (const part of accept.split(',')) {
    const m = AGGREGATED.exec(part.replace(/\s+/g, ''))
    if (m !== null) return m[1] as 'v2' | 'v2beta1'
  }
  return undefined
}

const groupVersion = { groupVersion: GROUP_VERSION, version: VERSION }
const apiGroup = { name: GROUP, versions: [groupVersion], preferredVersion: groupVersion }

function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup] }
}

export function apiResourceList(names: readonly string[]): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GROUP_VERSION,
    resources: names.map((name) => ({ name, singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] })),
  }
}

export function apiGroupDiscoveryList(version: 'v2' | 'v2beta1', names: readonly string[]): object {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [{
      metadata: { name: GROUP },
      versions: [{
        version: VERSION,
        resources: names.map((resource) => ({
          resource,
          responseKind: { group: '', version: '', kind: 'ExternalMetricValueList' },
          scope: 'Namespaced',
          singularResource: '',
          verbs: ['get'],
        })),
        freshness: 'Current',
      }],
    }],
  }
}


export function discoveryRoutes(app: FastifyInstance, opts: DiscoveryOptions, done: (err?: Error) => void): void {
  // Never an empty resource list: kubectl stops caching discovery when a group version lists nothing.
  const names = opts.metricNames.length > 0 ? opts.metricNames : [METRIC.desiredReplicas]
  app.get('/apis', async (req: FastifyRequest, reply: FastifyReply) => {
    const version = aggregatedVersion(req.headers.accept)
    if (version === undefined) return apiGroupList()
    void reply.header('content-type', `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`)
    return apiGroupDiscoveryList(version, names)
  })
  app.get(`/apis/${GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup }))
  app.get(`/apis/${GROUP_VERSION}`, async () => apiResourceList(names))
  methodNotAllowedRoutes(app, ['/apis', `/apis/${GROUP}`, `/apis/${GROUP_VERSION}`])
  done()
}
