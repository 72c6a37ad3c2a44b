import type { IncomingMessage } from 'node:http'

export interface UserInfo {
  username: string
  uid?: string
  groups: readonly string[]
  extra: Readonly<Record<string, readonly string[]>>
}

export type Attributes =
  | { kind: 'resource'; verb: string; group: string; version: string; resource: string; subresource?: string; namespace: string; name?: string }
  | { kind: 'nonResource'; verb: string; path: string }

export type AuthnResult = { ok: true; user: UserInfo } | { ok: false; reason: string }
export interface AuthzDecision { allowed: boolean; reason: string }

/** Returns who is calling, or why they are not authenticated. Throws only when a review could not be made. */
export interface Authenticator { authenticate(req: IncomingMessage): Promise<AuthnResult> }
/** Throws only when a review could not be made (timeout, API error); callers turn that into a 500 for that request. */
export interface Authorizer { authorize(user: UserInfo, attrs: Attributes): Promise<AuthzDecision> }

export class ReviewUnavailableError extends Error {
  override name = 'ReviewUnavailableError'
}
