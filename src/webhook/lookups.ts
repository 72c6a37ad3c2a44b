import { AppsV1Api, AuthorizationV1Api, CustomObjectsApi, type KubeConfig, type V1SubjectAccessReview } from '@kubernetes/client-node'
import { isNotFound, withSignal } from '../kube/client.js'
import { subjectAccessReview } from '../kube/reviews.js'
import { GROUP, PLURAL, VERSION, scaleTargetRefSchema } from '../policy/schema.js'
import type { WebhookLookups } from './types.js'
import type { PolicySummary, TargetRef } from '../policy/findings.js'

// The webhook's questions to the apiserver. Each call carries its own deadline; errors propagate so the review
// can turn them into "could not check" warnings (or, for the access review, a fail-closed denial).

function describe(err: unknown): Error {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e.code === 'number' ? `HTTP ${e.code}: ` : ''
  const message = typeof e.message === 'string' ? e.message.split('\n')[0] ?? '' : 'request failed'
  return new Error(`${code}${message}`)
}

/** Turns an object from the API into a summary; objects the schema cannot read are skipped. */
export function summarize(item: unknown): PolicySummary | undefined {
  const obj = item as { metadata?: { name?: unknown }; spec?: { scaleTargetRef?: unknown } } | null
  const name = obj?.metadata?.name
  const target = scaleTargetRefSchema.safeParse(obj?.spec?.scaleTargetRef)
  if (typeof name !== 'string' || !target.success) return undefined
  return { name, target: target.data }
}

export function kubeLookups(kc: KubeConfig, timeoutMs: number): WebhookLookups {
  const custom = kc.makeApiClient(CustomObjectsApi)
  const apps = kc.makeApiClient(AppsV1Api)
  const authz = kc.makeApiClient(AuthorizationV1Api)
  const opts = (): ReturnType<typeof withSignal> => withSignal(AbortSignal.timeout(timeoutMs))
  return {
    async policiesInNamespace(namespace) {
      try {
        const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL }, opts())) as { items?: unknown[] }
        return (list.items ?? []).flatMap((i) => summarize(i) ?? [])
      } catch (err) {
        throw describe(err)
      }
    },
    async findPolicy(namespace, name) {
      try {
        return summarize(await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }, opts()))
      } catch (err) {
        if (isNotFound(err)) return undefined
        throw describe(err)
      }
    },
    async targetExists(namespace, target: TargetRef) {
      const args = { name: target.name, namespace }
      try {
        if (target.kind === 'Deployment') await apps.readNamespacedDeployment(args, opts())
        else if (target.kind === 'StatefulSet') await apps.readNamespacedStatefulSet(args, opts())
        else if (target.kind === 'ReplicaSet') await apps.readNamespacedReplicaSet(args, opts())
        else throw new Error(`unsupported kind ${target.kind}`)
        return true
      } catch (err) {
        if (isNotFound(err)) return false
        throw describe(err)
      }
    },
    async reviewAccess(user, attrs) {
      try {
        return await subjectAccessReview((body, signal) => authz.createSubjectAccessReview({ body: body as unknown as V1SubjectAccessReview }, withSignal(signal)), user, { kind: 'resource', ...attrs }, AbortSignal.timeout(timeoutMs))
      } catch (err) {
        throw describe(err)
      }
    },
  }
}

/** For runs without a cluster: every question is answered "unknown", which the rules report as a warning. */
export function unavailableLookups(reason: string): WebhookLookups {
  const fail = async (): Promise<never> => {
    throw new Error(reason)
  }
  return { policiesInNamespace: fail, findPolicy: fail, targetExists: fail, reviewAccess: fail }
}
