import type { KubeClient } from '../kube/rest.js'
import { GROUP, PLURAL, VERSION, policyStatusSchema, type Condition, type PolicyStatus } from './schema.js'

export interface PolicyRef { namespace: string; name: string }

/** The two calls a status write needs; kubeStatusClient is the real one, tests bring their own. */
export interface StatusClient {
  /**
   * The object's resourceVersion, raw status and raw spec (the status subresource's GET answers with the whole
   * object: a writer can check the spec as it is now, not as a possibly failing watch last delivered it).
   */
  get(ref: PolicyRef, signal: AbortSignal): Promise<{ resourceVersion: string; status: unknown; spec?: unknown; uid?: string }>
  /** A JSON merge patch of the status subresource; rejects with an error whose `code` is the HTTP status. */
  patch(ref: PolicyRef, body: Record<string, unknown>, signal: AbortSignal): Promise<void>
}

export function kubeStatusClient(kube: KubeClient): StatusClient {
  const path = (ref: PolicyRef): string => `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(ref.namespace)}/${PLURAL}/${encodeURIComponent(ref.name)}/status`
  return {
    async get(ref, signal) {
      const obj = await kube.request<{ metadata?: { resourceVersion?: string; uid?: string }; status?: unknown; spec?: unknown }>({
        method: 'GET', path: path(ref), signal, what: `get ${PLURAL}/status ${ref.namespace}/${ref.name}`,
      })
      return { resourceVersion: obj.metadata?.resourceVersion ?? '', status: obj.status, spec: obj.spec, ...(obj.metadata?.uid !== undefined ? { uid: obj.metadata.uid } : {}) }
    },
    async patch(ref, body, signal) {
      await kube.request({
        method: 'PATCH', path: path(ref), body, contentType: 'application/merge-patch+json', signal, what: `patch ${PLURAL}/status ${ref.namespace}/${ref.name}`,
      })
    },
  }
}

export class StatusConflictError extends Error {
  override name = 'StatusConflictError'
}

interface UpdateStatusOptions {
  /** Reads and writes tried before giving up on repeated 409 Conflicts. */
  maxAttempts?: number
  /** Bound of each HTTP call. */
  timeoutMs?: number
  signal?: AbortSignal
}

interface UpdateStatusResult {
  written: boolean
  attempts: number
  status: PolicyStatus
}

/**
 * Read-modify-write of a policy's status that never loses another writer's update: the merge patch carries the
 * resourceVersion it was computed from, so the apiserver answers 409 if the object moved meanwhile, and the
 * update is recomputed from a fresh read. `update` must be pure; it may run several times, each time with the
 * status and the raw spec of that read. Nothing is written when it returns an equal status.
 */
export async function updatePolicyStatus(
  client: StatusClient,
  ref: PolicyRef,
  update: (current: PolicyStatus, spec: unknown, uid: string | undefined) => PolicyStatus,
  opts: UpdateStatusOptions = {},
): Promise<UpdateStatusResult> {
  const maxAttempts = opts.maxAttempts ?? 5
  const timeoutMs = opts.timeoutMs ?? 10_000
  const signalFor = (): AbortSignal => (opts.signal !== undefined ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs))
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { resourceVersion, status: raw, spec, uid } = await client.get(ref, signalFor())
    // A status this version cannot read (another writer, an older release) is rebuilt rather than trusted.
    const parsed = policyStatusSchema.safeParse(raw ?? {})
    const current = parsed.success ? parsed.data : {}
    const next = update(current, spec, uid)
    // Diffed against what this version understands: fields it does not know are left alone on the server.
    const diff = mergePatch(current, next)
    if (diff === undefined) return { written: false, attempts: attempt, status: current }
    try {
      await client.patch(ref, { metadata: { resourceVersion }, status: diff }, signalFor())
      return { written: true, attempts: attempt, status: next }
    } catch (err) {
      if ((err as { code?: unknown }).code !== 409) throw err
    }
  }
  throw new StatusConflictError(`status of ${ref.namespace}/${ref.name}: still conflicting after ${maxAttempts} attempts`)
}

/**
 * The JSON merge patch (RFC 7386) turning `from` into `to`, or undefined when they are equal. Arrays are
 * replaced whole, as merge patch demands, and removed keys become null.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (isObject(from) && isObject(to)) {
    const patch: Record<string, unknown> = {}
    for (const key of Object.keys(from)) if (!(key in to) || to[key] === undefined) patch[key] = null
    for (const [key, value] of Object.entries(to)) {
      if (value === undefined) continue
      const sub = mergePatch(from[key], value)
      if (sub !== undefined) patch[key] = sub
    }
    return Object.keys(patch).length > 0 ? patch : undefined
  }
  return JSON.stringify(from) === JSON.stringify(to) ? undefined : to
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

interface ConditionInput {
  type: string
  status: Condition['status']
  reason: string
  message: string
  observedGeneration?: number
}

/**
 * Sets one condition the Kubernetes way: lastTransitionTime moves only when the status flips, so it tells when
 * the state began rather than when it was last reported. Returns `conditions` itself when nothing changed.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): readonly Condition[] {
  const list = conditions ?? []
  const i = list.findIndex((c) => c.type === input.type)
  const old = list[i]
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime: old !== undefined && old.status === input.status ? old.lastTransitionTime : now.toISOString(),
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
  }
  if (old === undefined) return [...list, next]
  const same = (Object.keys(next) as Array<keyof Condition>).every((k) => old[k] === next[k]) && Object.keys(old).length === Object.keys(next).length
  if (same) return list
  return list.map((c, j) => (j === i ? next : c))
}
