import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { KubeClient } from './rest.js'

// Kubernetes Events (events.k8s.io/v1) for what the controller decided, where `kubectl describe` shows them.
// A skip repeats every round while its cause lasts, so the same reason on the same object is sent at most once
// per dedupe window: the apiserver and etcd should not pay for a controller's steady state.

export interface ObjectRef { apiVersion: string; kind: string; namespace: string; name: string; uid?: string }

export interface EventInput {
  regarding: ObjectRef
  related?: ObjectRef
  /** CamelCase reason, e.g. Restarted, MostPodsFailing. */
  reason: string
  /** What was done or not done, e.g. Evict, Skip. */
  action: string
  note: string
  type: 'Normal' | 'Warning'
}

/** An events.k8s.io/v1 Event as sent. */
export interface EventBody {
  apiVersion: 'events.k8s.io/v1'
  kind: 'Event'
  metadata: { name: string; namespace: string }
  /** MicroTime: RFC 3339 with six fractional digits. */
  eventTime: string
  reportingController: string
  reportingInstance: string
  action: string
  reason: string
  note: string
  type: string
  regarding: ObjectRef
  related?: ObjectRef
}

type PostEvent = (namespace: string, body: EventBody, signal: AbortSignal) => Promise<void>

function kubePostEvent(kube: KubeClient): PostEvent {
  return async (namespace, body, signal) => {
    await kube.request({ method: 'POST', path: `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`, body, signal, what: `create events in ${namespace}` })
  }
}

interface EventRecorderOptions {
  kube?: KubeClient
  post?: PostEvent
  log: Logger
  /** reportingController: who the event comes from. */
  controller: string
  /** reportingInstance: which replica. */
  instance: string
  dedupeWindowMs?: number
  timeoutMs?: number
  now?: () => number
}

/** The API limits a note to 1 kB. */
const MAX_NOTE_BYTES = 1024
/** Keys kept before stale ones are swept; one per object and reason. */
const SWEEP_AT = 2_000

export class EventRecorder {
  private readonly post: PostEvent
  private readonly windowMs: number
  private readonly timeoutMs: number
  private readonly now: () => number
  private readonly sent = new Map<string, number>()

  constructor(private readonly opts: EventRecorderOptions) {
    if (opts.post === undefined && opts.kube === undefined) throw new Error('EventRecorder needs a Kubernetes client or a post function')
    this.post = opts.post ?? kubePostEvent(opts.kube as KubeClient)
    this.windowMs = opts.dedupeWindowMs ?? 60_000
    this.timeoutMs = opts.timeoutMs ?? 5_000
    this.now = opts.now ?? Date.now
  }

  /** Sends the event unless the same reason was sent for the same object within the window; true when sent. Never throws. */
  async emit(e: EventInput): Promise<boolean> {
    const now = this.now()
    const key = `${e.regarding.kind}/${e.regarding.namespace}/${e.regarding.name}|${e.reason}`
    const last = this.sent.get(key)
    if (last !== undefined && now - last < this.windowMs) return false
    this.sent.set(key, now)
    if (this.sent.size > SWEEP_AT) for (const [k, t] of this.sent) if (now - t >= this.windowMs) this.sent.delete(k)
    const body: EventBody = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${e.regarding.name}.${now.toString(16)}${randomBytes(4).toString('hex')}`, namespace: e.regarding.namespace },
      eventTime: microTime(now),
      reportingController: this.opts.controller,
      reportingInstance: this.opts.instance,
      action: e.action,
      reason: e.reason,
      note: truncate(e.note),
      type: e.type,
      regarding: refOf(e.regarding),
      ...(e.related !== undefined ? { related: refOf(e.related) } : {}),
    }
    try {
      await this.post(e.regarding.namespace, body, AbortSignal.timeout(this.timeoutMs))
      return true
    } catch (err) {
      // Forget it so the next round tries again; an event is worth a retry, not a failed remediation.
      this.sent.delete(key)
      this.opts.log.warn({ err: (err instanceof Error ? err.message : String(err)).split('\n')[0], reason: e.reason, object: key }, 'event not recorded')
      return false
    }
  }
}

/** A MicroTime from milliseconds: the apiserver wants six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z')
}

function refOf(r: ObjectRef): ObjectRef {
  return { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name, ...(r.uid !== undefined ? { uid: r.uid } : {}) }
}

function truncate(note: string): string {
  if (Buffer.byteLength(note) <= MAX_NOTE_BYTES) return note
  let s = note.slice(0, MAX_NOTE_BYTES - 3)
  while (Buffer.byteLength(s) > MAX_NOTE_BYTES - 3) s = s.slice(0, -1)
  return `${s}...`
}
