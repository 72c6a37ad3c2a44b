import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Attributes } from '../auth/types.js'
import { type MetricItem, type MetricProvider } from '../ports.js'
import { POLICY_LABEL } from '../names.js'
import { collectionVerb } from './auth-hook.js'
import { ERR_BAD_REQUEST, ERR_NOT_FOUND, ERR_UNAVAILABLE, methodNotAllowedRoutes } from '../server/errors.js'
import { formatQuantity } from './quantity.js'
import { allowedValues, formatSelector, matches, parseSelector, SelectorError, shown, type Selector } from './selector.js'
import { API_PREFIX, GROUP, GROUP_VERSION, VERSION, type ExternalMetricValue, type ExternalMetricValueList } from './types.js'

interface ExternalMetricsOptions { source: MetricProvider }

interface Params { namespace: string; metric: string }
interface Query { labelSelector?: string | string[] }

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:.-]*$/

function validateParams(p: Params): void {
  if (p.namespace.length > 63 || !DNS_LABEL.test(p.namespace)) throw new ERR_BAD_REQUEST(`invalid namespace "${shown(p.namespace)}": must be a lowercase RFC 1123 label`)
  if (p.metric.length > 253 || !METRIC_NAME.test(p.metric)) throw new ERR_BAD_REQUEST(`invalid metric name "${shown(p.metric)}"`)
}

function selectorOf(q: Query): Selector {
  if (Array.isArray(q.labelSelector)) throw new ERR_BAD_REQUEST('labelSelector may be given only once')
  try {
    return parseSelector(q.labelSelector ?? '')
  } catch (err) {
    if (err instanceof SelectorError) throw new ERR_BAD_REQUEST(err.message)
    throw err
  }
}

export function toExternalMetricValue(item: MetricItem): ExternalMetricValue {
  return {
    metricName: item.metricName,
    metricLabels: { ...item.labels },
    timestamp: item.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(item.windowSeconds !== undefined ? { window: item.windowSeconds } : {}),
    value: formatQuantity(item.value),
  }
}

/**
 * kube-apiserver authorizes this path (a namespace and a resource, no object name) as a collection: GET is "list",
 * POST "create", DELETE "deletecollection". Asking the same question keeps one RBAC rule meaning the same thing on
 * both sides of the aggregation layer.
 */
function metricAttributes(req: FastifyRequest): Attributes {
  const p = req.params as Params
  return { kind: 'resource', verb: collectionVerb(req.method), group: GROUP, version: VERSION, resource: p.metric, namespace: p.namespace }
}

/**
 * Whether a series of a policy without data could match once it has some. Requirements on the labels its series
 * will carry but do not have yet (quantile, class, horizon...) cannot rule it out; every other requirement is
 * judged on the labels known now (the policy's), so `app=web` still rules it out and `!quantile` on a metric
 * without quantiles does not.
 */
function couldMatch(selector: Selector, known: Readonly<Record<string, string>>, laterKeys: readonly string[]): boolean {
  return matches(selector.filter((r) => Object.hasOwn(known, r.key) || !laterKeys.includes(r.key)), known)
}

/** A selector as quoted in an error: whole when short, cut after 200 characters (a URL may carry kilobytes). */
function shownSelector(selector: Selector): string {
  return shown(formatSelector(selector))
}

export function externalMetricsRoutes(app: FastifyInstance, opts: ExternalMetricsOptions, done: (err?: Error) => void): void {
  const url = `${API_PREFIX}/namespaces/:namespace/:metric`
  app.get<{ Params: Params; Querystring: Query }>(url, {
    config: { authz: metricAttributes },
  }, async (req): Promise<ExternalMetricValueList> => {
    validateParams(req.params)
    const selector = selectorOf(req.query)
    const { namespace, metric } = req.params
    const result = opts.source.query(namespace, metric, allowedValues(selector, POLICY_LABEL))
    if (result.state === 'unknown-metric') throw new ERR_NOT_FOUND(`the server could not find the metric "${metric}": it is not served by this adapter`)
    if (result.state === 'not-ready') throw new ERR_UNAVAILABLE(`metric "${metric}" is not ready yet: ${result.reason}`)
    const items = result.items.filter((i) => matches(selector, i.labels))
    // A policy that has no data yet is "not ready" (the HPA retries), not "no such series".
    if (items.length === 0 && result.pending?.some((labels) => couldMatch(selector, labels, result.pendingLaterKeys ?? [])) === true) {
      throw new ERR_UNAVAILABLE(`metric "${metric}" is not ready yet: the policy the selector "${shownSelector(selector)}" names has no data yet`)
    }
    if (items.length === 0) {
      throw new ERR_NOT_FOUND(`no series of metric "${metric}" in namespace "${namespace}" matched the selector "${shownSelector(selector)}"`)
    }
    return { kind: 'ExternalMetricValueList', apiVersion: GROUP_VERSION, metadata: {}, items: items.map(toExternalMetricValue) }
  })
  methodNotAllowedRoutes(app, [url], { authz: metricAttributes })
  done()
}
