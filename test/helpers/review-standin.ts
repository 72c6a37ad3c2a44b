import { listenWithKubeconfig, standInApp } from './standin.js'

// A small HTTPS stand-in for the two review endpoints of kube-apiserver (and the authentication ConfigMap), so
// the delegated auth paths can be driven into every branch. The real kube-apiserver proves them end to end.

export interface StandInUser { username: string; uid?: string; groups: string[] }

export interface ReviewStandIn {
  url: string
  kubeconfigFile: string
  tokens: Map<string, StandInUser>
  /** `user|namespace|resource` or `user|path` keys that are allowed. */
  allow: Set<string>
  calls: { tokenReviews: number; accessReviews: Array<Record<string, unknown>> }
  /** Mode of the SubjectAccessReview endpoint. */
  sarMode: 'normal' | 'slow' | 'error'
  configMap: Record<string, string> | undefined
  close(): Promise<void>
}

interface SarSpec {
  user: string
  groups?: string[]
  resourceAttributes?: { namespace: string; resource: string }
  nonResourceAttributes?: { path: string }
}

export async function startReviewStandIn(): Promise<ReviewStandIn> {
  const standIn = standInApp('review-standin')
  const { app } = standIn
  const state: Omit<ReviewStandIn, 'url' | 'kubeconfigFile' | 'close'> = {
    tokens: new Map(),
    allow: new Set(),
    calls: { tokenReviews: 0, accessReviews: [] },
    sarMode: 'normal',
    configMap: undefined,
  }
  app.post('/apis/authentication.k8s.io/v1/tokenreviews', async (req) => {
    state.calls.tokenReviews++
    const body = req.body as { spec: { token: string } }
    const user = state.tokens.get(body.spec.token)
    return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: body.spec, status: user !== undefined ? { authenticated: true, user } : { authenticated: false, error: 'invalid token' } }
  })
  app.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', async (req, reply) => {
    const body = req.body as { spec: SarSpec }
    state.calls.accessReviews.push(body.spec as unknown as Record<string, unknown>)
    if (state.sarMode === 'slow') await new Promise((r) => setTimeout(r, 3_000))
    if (state.sarMode === 'error') return reply.code(500).send({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcd exploded: secret internal detail', code: 500 })
    const s = body.spec
    const key = s.resourceAttributes !== undefined ? `${s.user}|${s.resourceAttributes.namespace}|${s.resourceAttributes.resource}` : `${s.user}|${s.nonResourceAttributes?.path ?? ''}`
    const allowed = state.allow.has(key) || (s.groups ?? []).includes('system:masters')
    return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: s, status: { allowed, ...(allowed ? {} : { reason: 'no RBAC policy matched' }) } }
  })
  app.get('/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication', async (_req, reply) => {
    if (state.configMap === undefined) return reply.code(404).send({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 })
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' }, data: state.configMap }
  })
  const { url, kubeconfigFile } = await listenWithKubeconfig(standIn, 'adapter')
  return Object.assign(state, { url, kubeconfigFile, close: () => app.close() })
}
