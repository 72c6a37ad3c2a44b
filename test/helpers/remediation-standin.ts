import { applyMergePatch as mergePatch, listenWithKubeconfig, standInApp } from './standin.js'

// A small HTTPS stand-in for the slices of kube-apiserver the remediation controller talks to: pods (list and
// eviction), Deployments, Leases, Events, ForesightPolicy status and the external metrics route. Every endpoint
// keeps its real status codes and optimistic concurrency, so the error paths can be forced at will; the real
// kube-apiserver proves the happy paths end to end.

export interface LeaseObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown }
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number }
}

export interface StandInPod {
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string }> }
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> }
}

export interface ScoreItem { pod: string; policy: string; class: string; value: string; reason?: string }

export interface RemediationStandIn {
  url: string
  kubeconfigFile: string
  /** Status codes answered to the next evictions, consumed one per request (200 when empty). */
  evictionCodes: number[]
  /** Seconds put into a 429's details.retryAfterSeconds, when set. */
  evictionRetryAfterSeconds: number | undefined
  evictions: Array<{ namespace: string; pod: string; body: unknown }>
  leases: Map<string, LeaseObject>
  /** While true every Lease call answers 503, as an unreachable apiserver would fail. */
  leaseDown: boolean
  leaseCalls: { get: number; create: number; update: number; conflicts: number }
  events: Array<Record<string, unknown>>
  /** Status code answered to event POSTs (201 when undefined). */
  eventCode: number | undefined
  pods: StandInPod[]
  deployments: Map<string, Record<string, unknown>>
  scores: Map<string, ScoreItem[]>
  scoreCode: number | undefined
  /** Timestamp put on score items (now by default), for tests that drive their own clock. */
  scoreTime: () => string
  scoreRequests: string[]
  policies: Map<string, { resourceVersion: number; status: unknown }>
  statusPatches: unknown[]
  /** Called before an eviction is answered, to simulate a crash or check ordering. */
  beforeEviction: ((pod: string) => void) | undefined
  close(): Promise<void>
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details !== undefined ? { details } : {}) }
}

/** Equality terms only (k=v, k==v), comma = AND: all the controller's selectors need. */
function matches(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || selector === '') return true
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/==?/)
    return k !== undefined && labels?.[k.trim()] === v?.trim()
  })
}

export async function startRemediationStandIn(): Promise<RemediationStandIn> {
  const standIn = standInApp('remediation-standin')
  const { app } = standIn
  let rv = 100
  const s: Omit<RemediationStandIn, 'url' | 'kubeconfigFile' | 'close'> = {
    evictionCodes: [],
    evictionRetryAfterSeconds: undefined,
    evictions: [],
    leases: new Map(),
    leaseDown: false,
    leaseCalls: { get: 0, create: 0, update: 0, conflicts: 0 },
    events: [],
    eventCode: undefined,
    pods: [],
    deployments: new Map(),
    scores: new Map(),
    scoreCode: undefined,
    scoreTime: () => new Date().toISOString(),
    scoreRequests: [],
    policies: new Map(),
    statusPatches: [],
    beforeEviction: undefined,
  }

  app.post<{ Params: { ns: string; pod: string } }>('/api/v1/namespaces/:ns/pods/:pod/eviction', async (req, reply) => {
    s.beforeEviction?.(req.params.pod)
    s.evictions.push({ namespace: req.params.ns, pod: req.params.pod, body: req.body })
    const code = s.evictionCodes.shift() ?? 200
    if (code === 429) {
      return reply.code(429).send(status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.',
        s.evictionRetryAfterSeconds !== undefined ? { retryAfterSeconds: s.evictionRetryAfterSeconds } : undefined))
    }
    if (code === 500) return reply.code(500).send(status(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'))
    if (code === 404) return reply.code(404).send(status(404, 'NotFound', `pods "${req.params.pod}" not found`))
    if (code !== 200 && code !== 201) return reply.code(code).send(status(code, 'Unknown', 'forced failure'))
    s.pods = s.pods.filter((p) => !(p.metadata.namespace === req.params.ns && p.metadata.name === req.params.pod))
    return reply.code(201).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 })
  })

  app.get<{ Params: { ns: string }; Querystring: { labelSelector?: string } }>('/api/v1/namespaces/:ns/pods', async (req) => ({
    kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) },
    items: s.pods.filter((p) => p.metadata.namespace === req.params.ns && matches(req.query.labelSelector, p.metadata.labels)),
  }))

  app.get<{ Params: { ns: string; name: string } }>('/apis/apps/v1/namespaces/:ns/deployments/:name', async (req, reply) => {
    const d = s.deployments.get(`${req.params.ns}/${req.params.name}`)
    return d ?? reply.code(404).send(status(404, 'NotFound', `deployments.apps "${req.params.name}" not found`))
  })

  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/:ns/leases'
  app.addHook('onRequest', async (req, reply) => {
    if (s.leaseDown && req.url.startsWith('/apis/coordination.k8s.io/')) await reply.code(503).send(status(503, 'ServiceUnavailable', 'down'))
  })
  app.get<{ Params: { ns: string; name: string } }>(`${leasePath}/:name`, async (req, reply) => {
    s.leaseCalls.get++
    const l = s.leases.get(`${req.params.ns}/${req.params.name}`)
    return l ?? reply.code(404).send(status(404, 'NotFound', `leases.coordination.k8s.io "${req.params.name}" not found`))
  })
  app.post<{ Params: { ns: string } }>(leasePath, async (req, reply) => {
    s.leaseCalls.create++
    const body = req.body as LeaseObject
    const key = `${req.params.ns}/${body.metadata.name}`
    if (s.leases.has(key)) {
      s.leaseCalls.conflicts++
      return reply.code(409).send(status(409, 'AlreadyExists', 'already exists'))
    }
    const stored = { ...body, metadata: { ...body.metadata, namespace: req.params.ns, resourceVersion: String(++rv) } }
    s.leases.set(key, stored)
    return reply.code(201).send(stored)
  })
  app.put<{ Params: { ns: string; name: string } }>(`${leasePath}/:name`, async (req, reply) => {
    s.leaseCalls.update++
    const body = req.body as LeaseObject
    const key = `${req.params.ns}/${req.params.name}`
    const cur = s.leases.get(key)
    if (cur === undefined) return reply.code(404).send(status(404, 'NotFound', 'not found'))
    if (body.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      s.leaseCalls.conflicts++
      return reply.code(409).send(status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'))
    }
    const stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } }
    s.leases.set(key, stored)
    return stored
  })

  app.post<{ Params: { ns: string } }>('/apis/events.k8s.io/v1/namespaces/:ns/events', async (req, reply) => {
    if (s.eventCode !== undefined) return reply.code(s.eventCode).send(status(s.eventCode, 'Forbidden', 'forced'))
    s.events.push(req.body as Record<string, unknown>)
    return reply.code(201).send(req.body)
  })

  app.get<{ Params: { ns: string; metric: string }; Querystring: { labelSelector?: string } }>('/apis/external.metrics.k8s.io/v1beta1/namespaces/:ns/:metric', async (req, reply) => {
    s.scoreRequests.push(req.url)
    if (s.scoreCode !== undefined) return reply.code(s.scoreCode).send(status(s.scoreCode, 'ServiceUnavailable', 'the server is currently unable to handle the request'))
    const items = (s.scores.get(req.params.ns) ?? [])
      .filter((i) => matches(req.query.labelSelector, { 'foresight.dev/policy': i.policy }))
      .map((i) => ({
        metricName: req.params.metric,
        metricLabels: { 'foresight.dev/policy': i.policy, pod: i.pod, class: i.class, reason: i.reason ?? '' },
        timestamp: s.scoreTime(),
        value: i.value,
      }))
    return { kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items }
  })

  const policyStatusPath = '/apis/foresight.dev/v1alpha1/namespaces/:ns/foresightpolicies/:name/status'
  app.get<{ Params: { ns: string; name: string } }>(policyStatusPath, async (req, reply) => {
    const p = s.policies.get(`${req.params.ns}/${req.params.name}`)
    if (p === undefined) return reply.code(404).send(status(404, 'NotFound', 'not found'))
    return { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: req.params.name, namespace: req.params.ns, resourceVersion: String(p.resourceVersion) }, status: p.status }
  })
  app.patch<{ Params: { ns: string; name: string } }>(policyStatusPath, async (req, reply) => {
    const p = s.policies.get(`${req.params.ns}/${req.params.name}`)
    if (p === undefined) return reply.code(404).send(status(404, 'NotFound', 'not found'))
    const body = req.body as { metadata?: { resourceVersion?: string }; status?: unknown }
    if (body.metadata?.resourceVersion !== undefined && body.metadata.resourceVersion !== String(p.resourceVersion)) {
      return reply.code(409).send(status(409, 'Conflict', 'the object has been modified'))
    }
    s.statusPatches.push(body.status)
    p.status = mergePatch(p.status, body.status)
    p.resourceVersion = ++rv
    return { metadata: { resourceVersion: String(p.resourceVersion) }, status: p.status }
  })

  const { url, kubeconfigFile } = await listenWithKubeconfig(standIn, 'controller')
  return Object.assign(s, { url, kubeconfigFile, close: () => app.close() })
}
