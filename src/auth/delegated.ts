import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LRUCache } from 'lru-cache'
import { authenticateRequestHeader, type RequestHeaderOptions } from './request-header.js'
import { ReviewUnavailableError, type Attributes, type Authenticator, type AuthnResult, type Authorizer, type AuthzDecision, type UserInfo } from './types.js'

/** The two review calls the delegated authenticator/authorizer make against kube-apiserver. */
export interface ReviewClient {
  tokenReview(token: string, signal: AbortSignal): Promise<{ authenticated: boolean; user?: UserInfo }>
  subjectAccessReview(user: UserInfo, attrs: Attributes, signal: AbortSignal): Promise<AuthzDecision>
}

interface DelegatedOptions {
  requestHeader: () => RequestHeaderOptions
  reviews: ReviewClient
  allowCacheTtlMs: number
  denyCacheTtlMs: number
  cacheSize: number
  timeoutMs: number
}

/**
 * Runs `fn` under a deadline and shares one call between concurrent identical requests, so a burst of HPA
 * syncs costs one review and a slow apiserver fails only the requests that wait on it.
 */
class ReviewCache<V extends object> {
  private readonly cache: LRUCache<string, V>
  private readonly inflight = new Map<string, Promise<V>>()

  constructor(size: number, private readonly timeoutMs: number, private readonly ttlOf: (v: V) => number) {
    this.cache = new LRUCache<string, V>({ max: size, ttlAutopurge: false })
  }

  async get(key: string, fn: (signal: AbortSignal) => Promise<V>): Promise<V> {
    const hit = this.cache.get(key)
    if (hit !== undefined) return hit
    const pending = this.inflight.get(key)
    if (pending !== undefined) return pending
    const p = this.call(fn).then((v) => {
      const ttl = this.ttlOf(v)
      if (ttl > 0) this.cache.set(key, v, { ttl })
      return v
    }).finally(() => this.inflight.delete(key))
    this.inflight.set(key, p)
    return p
  }

  private async call(fn: (signal: AbortSignal) => Promise<V>): Promise<V> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReviewUnavailableError(`review timed out after ${this.timeoutMs} ms`)), this.timeoutMs)
      timer.unref()
    })
    try {
      return await Promise.race([fn(signal), deadline])
    } catch (err) {
      if (err instanceof ReviewUnavailableError) throw err
      throw new ReviewUnavailableError(`review failed: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  get size(): number { return this.cache.size }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

export class DelegatedAuthenticator implements Authenticator {
  private readonly tokens: ReviewCache<{ authenticated: boolean; user?: UserInfo }>

  constructor(private readonly opts: DelegatedOptions) {
    this.tokens = new ReviewCache(opts.cacheSize, opts.timeoutMs, (v) => (v.authenticated ? opts.allowCacheTtlMs : opts.denyCacheTtlMs))
  }

  async authenticate(req: IncomingMessage): Promise<AuthnResult> {
    const rh = authenticateRequestHeader(req, this.opts.requestHeader())
    if (rh.kind === 'user') return { ok: true, user: rh.user }
    // As kube-apiserver's union of authenticators: a client certificate the request-header check refuses does not
    // stop a bearer token on the same request from being tried.
    const header = req.headers.authorization
    if (header === undefined) return { ok: false, reason: rh.kind === 'rejected' ? rh.reason : 'no credentials' }
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) return { ok: false, reason: 'unsupported authorization scheme' }
    const key = createHash('sha256').update(token).digest('hex')
    const review = await this.tokens.get(key, (signal) => this.opts.reviews.tokenReview(token, signal))
    if (!review.authenticated || review.user === undefined) return { ok: false, reason: 'token rejected' }
    return { ok: true, user: review.user }
  }
}

export class DelegatedAuthorizer implements Authorizer {
  private readonly decisions: ReviewCache<AuthzDecision>

  constructor(private readonly opts: DelegatedOptions) {
    this.decisions = new ReviewCache(opts.cacheSize, opts.timeoutMs, (v) => (v.allowed ? opts.allowCacheTtlMs : opts.denyCacheTtlMs))
  }

  async authorize(user: UserInfo, attrs: Attributes): Promise<AuthzDecision> {
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), sortedExtra(user.extra), attrs])
    return this.decisions.get(key, (signal) => this.opts.reviews.subjectAccessReview(user, attrs, signal))
  }
}

function sortedExtra(extra: UserInfo['extra']): Array<[string, readonly string[]]> {
  return Object.entries(extra).sort(([a], [b]) => a.localeCompare(b))
}

/** Local mode: the listener is bound to loopback, so whoever can connect already has a shell on this machine. */
export const localAuthenticator: Authenticator = {
  authenticate: () => Promise.resolve({ ok: true, user: { username: 'local', groups: ['system:authenticated'], extra: {} } }),
}
export const allowAllAuthorizer: Authorizer = {
  authorize: () => Promise.resolve({ allowed: true, reason: 'local mode' }),
}
