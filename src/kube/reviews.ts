import type { ReviewClient } from '../auth/delegated.js'
import type { Attributes, AuthzDecision, UserInfo } from '../auth/types.js'
import type { KubeClient } from './rest.js'

// TokenReviews and SubjectAccessReviews: how the adapter authenticates bearer tokens and authorizes every request.

interface TokenReviewStatus { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } }
/** What a SubjectAccessReview answers. */
export interface SubjectAccessReviewStatus { allowed?: boolean; denied?: boolean; reason?: string }
/** Sends a SubjectAccessReview body and returns its status: this client's, or client-node's for the webhook. */
export type SubjectAccessReviewPost = (body: Record<string, unknown>, signal: AbortSignal) => Promise<{ status?: SubjectAccessReviewStatus }>

export function kubeReviewClient(kube: KubeClient): ReviewClient {
  const postSar: SubjectAccessReviewPost = (body, signal) => kube.request({ method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews', body, signal, what: 'create subjectaccessreviews' })
  return {
    async tokenReview(token: string, signal: AbortSignal): Promise<{ authenticated: boolean; user?: UserInfo }> {
      const res = await kube.request<{ status?: TokenReviewStatus }>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
        signal,
        what: 'create tokenreviews',
      })
      const u = res.status?.user
      if (res.status?.authenticated !== true || u?.username === undefined) return { authenticated: false }
      return {
        authenticated: true,
        user: { username: u.username, ...(u.uid !== undefined ? { uid: u.uid } : {}), groups: u.groups ?? [], extra: u.extra ?? {} },
      }
    },
    subjectAccessReview: (user: UserInfo, attrs: Attributes, signal: AbortSignal): Promise<AuthzDecision> => subjectAccessReview(postSar, user, attrs, signal),
  }
}

/** One SubjectAccessReview: may `user` do `attrs`? Shared by the adapter's authorizer and the webhook. */
export async function subjectAccessReview(post: SubjectAccessReviewPost, user: UserInfo, attrs: Attributes, signal: AbortSignal): Promise<AuthzDecision> {
  const spec = {
    user: user.username,
    ...(user.uid !== undefined ? { uid: user.uid } : {}),
    groups: [...user.groups],
    // A key named __proto__ is left out, as client-node's serializer always did: JSON parsers on the way (the
    // apiserver's webhook authorizers among them) may refuse the whole body for it.
    extra: Object.fromEntries(Object.entries(user.extra).filter(([k]) => k !== '__proto__').map(([k, v]) => [k, [...v]])),
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
  const res = await post({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }, signal)
  return { allowed: res.status?.allowed === true && res.status.denied !== true, reason: res.status?.reason ?? '' }
}
