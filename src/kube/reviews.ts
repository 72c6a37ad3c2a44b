import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node'
import type { ReviewClient } from '../auth/delegated.js'
import type { Attributes, AuthzDecision, UserInfo } from '../auth/types.js'
import { withSignal } from './client.js'

export function kubeReviewClient(kc: KubeConfig): ReviewClient {
  const authn = kc.makeApiClient(AuthenticationV1Api)
  const authz = kc.makeApiClient(AuthorizationV1Api)
  return {
    async tokenReview(token: string, signal: AbortSignal): Promise<{ authenticated: boolean; user?: UserInfo }> {
      const res = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } }, withSignal(signal))
      const u = res.status?.user
      if (res.status?.authenticated !== true || u?.username === undefined) return { authenticated: false }
      return {
        authenticated: true,
        user: { username: u.username, ...(u.uid !== undefined ? { uid: u.uid } : {}), groups: u.groups ?? [], extra: u.extra ?? {} },
      }
    },
    subjectAccessReview: (user: UserInfo, attrs: Attributes, signal: AbortSignal): Promise<AuthzDecision> => subjectAccessReview(authz, user, attrs, signal),
  }
}

/** One SubjectAccessReview: may `user` do `attrs`? Shared by the adapter's authorizer and the webhook. */
export async function subjectAccessReview(authz: AuthorizationV1Api, user: UserInfo, attrs: Attributes, signal: AbortSignal): Promise<AuthzDecision> {
  const spec = {
    user: user.username,
    ...(user.uid !== undefined ? { uid: user.uid } : {}),
    groups: [...user.groups],
    extra: Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])),
    ...(attrs.kind === 'resource'
      ? {
          resourceAttributes: {
            verb: attrs.verb, group: attrs.group, version: attrs.version, resource: attrs.resource, namespace: attrs.namespace,
            ...(attrs.subresource !== undefined ? { subresource: attrs.subresource } : {}),
            ...(attrs.name !== undefined ? { name: attrs.name } : {}),
          },
        }
      : { nonResourceAttributes: { verb: attrs.verb, path: attrs.path } }),
  }
  const res = await authz.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } }, withSignal(signal))
  return { allowed: res.status?.allowed === true && res.status.denied !== true, reason: res.status?.reason ?? '' }
}
