/** A failed apiserver call; `code` is the HTTP status, 0 when no answer came (network, timeout, credentials). */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  readonly code: number
  /** The Status reason (NotFound, Conflict, Expired, ...) when the apiserver gave one. */
  readonly reason: string | undefined

  constructor(message: string, code: number, opts: { cause?: unknown; reason?: string } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined)
    this.code = code
    this.reason = opts.reason
  }
}

/** Whether a call failed because the object does not exist (HTTP 404), from this client or client-node's. */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined
  return e?.code === 404 || e?.statusCode === 404
}
